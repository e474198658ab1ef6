#!/usr/bin/env bash
# The DL4J Spark program with AveronTrainingMaster against DL4J's own ParameterAveragingTrainingMaster and
# SharedTrainingMaster, back to back on one Spark standalone cluster on this machine (a Master and a Worker process,
# two one-core executors in JVMs of their own, OMP_NUM_THREADS=1 in each), beside a single-JVM MultiLayerNetwork.fit
# with the global batch (2 x batch per worker, OMP_NUM_THREADS=1) in the same run. Same net (NET,
# below), same Fashion-MNIST examples in the same order. Prints images/s and test accuracy of
# each, as ratios to the single-JVM fit, and whether issue 10's target is met.
# Usage: [NET=lenet-small|lenet|mlp-11m] deploy/bench/training-masters.sh [examples=60000] [test-examples=10000]
#          [epochs=1] [batch-per-worker=16] [minutes-per-master=15] [masters=all, e.g. SharedTrainingMaster]
# NET: lenet-small (default; 20,522 parameters), lenet (the main job's LeNet, 431,080), mlp-11m (784-3000-3000-10,
# 11,388,010 parameters: the issue's net of >= 10M parameters).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
examples="${1:-60000}"; test_examples="${2:-10000}"; epochs="${3:-1}"; batch="${4:-16}"; minutes="${5:-15}"
module="$root/dl4j-spark"
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null
# The bench profile adds SharedTrainingMaster (test scope) and src/bench/java; package writes target/spark/jars (the
# cluster's Spark runtime) and target/executor-classpath.txt (what executors add to it).
(cd "$root" && mvn -B -o -q -Pbench -pl dl4j-spark package -DskipTests)

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB," \
  "$(java -version 2>&1 | head -1)"
echo "commit: $(git -C "$root" log -1 --format='%h' 2>/dev/null || echo unknown) + working tree, $(date -u +%FT%TZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
flags="-XX:+IgnoreUnrecognizedVMOptions --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false"
# DL4J's transport (SharedTrainingMaster) launches an Aeron media driver per JVM in /dev/shm/aeron-$USER-<uuid> and never
# deletes it; remove the ones this run created.
shm_before="$(ls -d /dev/shm/aeron-"$(id -un)"-* 2>/dev/null || true)"
remove_dl4j_aeron_dirs() {
  local dir
  for dir in /dev/shm/aeron-"$(id -un)"-*; do
    [[ -d "$dir" ]] && ! grep -qxF "$dir" <<<"$shm_before" && rm -rf "$dir"
  done
  return 0
}
trap remove_dl4j_aeron_dirs EXIT
cd "$module"  # the cluster finds target/spark/jars and target/executor-classpath.txt relative to it
# shellcheck disable=SC2086
OMP_NUM_THREADS=1 SPARK_LOCAL_IP=127.0.0.1 java $flags -Xmx6g -Dorg.bytedeco.javacpp.maxbytes=4g \
  -Dorg.bytedeco.javacpp.maxphysicalbytes=12g \
  -cp "target/test-classes:target/classes:$(cat target/executor-classpath.txt):target/spark/jars/*" \
  io.averon.dl4j.spark.TrainingMastersBench "$examples" "$test_examples" "$epochs" "$batch" "$minutes" ${6:+"$6"}

#!/usr/bin/env bash
# Training throughput benchmark, both measured in this one run on this machine:
#   (a) a plain single-JVM DL4J fit of the job's network (batch B, all cores to one JVM), and
#   (b) averon train with W workers (local Spark, embedded Aeron parameter server, batch B/W per worker,
#       so both take the same number of optimizer steps on the same global batch).
# Prints images/s, test accuracy and peak RSS of each, and the ratio (b)/(a).
# Usage: deploy/bench/lenet-vs-dl4j.sh [epochs=1] [workers=2] [global-batch=64]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
epochs="${1:-1}"; workers="${2:-2}"; batch="${3:-64}"
per_worker=$(( batch / workers ))
target="$root/jobs/target"
[[ -f "$target/averon.jar" && -f "$target/jvm.options" ]] || (cd "$root" && mvn -B -q -DskipTests package)
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "(a) single-JVM DL4J fit, batch $batch, $epochs epoch(s), OMP_NUM_THREADS=$(nproc)"
# shellcheck disable=SC2046
OMP_NUM_THREADS=$(nproc) /usr/bin/time -f "peak_rss_kb %M" -o "$out/a.time" \
  java $(cat "$target/jvm.options") -Xmx4g -cp "$target/averon.jar:$target/spark/jars/*" \
  io.averon.jobs.bench.SingleJvmFit fashion-mnist-lenet "train.epochs=$epochs" "train.batch-size=$batch" \
  2>"$out/a.err" | tee "$out/a.out"

echo "(b) averon train, $workers workers x batch $per_worker, $epochs epoch(s)"
/usr/bin/time -f "peak_rss_kb %M" -o "$out/b.time" \
  "$root/deploy/averon" train fashion-mnist-lenet --master "local[$workers]" --workers "$workers" \
  --run-dir "$out/run" --set "train.epochs=$epochs" --set "train.batch-size=$per_worker" \
  2>"$out/b.err" | grep -E "^(epoch|run|model)" | tee "$out/b.out"

ips() { grep -E "epoch $epochs/" "$1" | sed -E 's/.*\(([0-9]+) img\/s\).*/\1/' | tail -1; }
acc() { grep -E "epoch $epochs/" "$1" | sed -E 's/.*test accuracy ([0-9.]+).*/\1/' | tail -1; }
a_ips=$(ips "$out/a.out"); b_ips=$(ips "$out/b.out")
a_acc=$(acc "$out/a.out"); b_acc=$(acc "$out/b.out")
a_rss=$(awk '{print int($2/1024)}' "$out/a.time"); b_rss=$(awk '{print int($2/1024)}' "$out/b.time")
echo
printf '%-34s %10s %10s %12s\n' "" "img/s" "accuracy" "peak RSS MB"
printf '%-34s %10s %10s %12s\n' "(a) single-JVM DL4J fit" "$a_ips" "$a_acc" "$a_rss"
printf '%-34s %10s %10s %12s\n' "(b) averon, $workers workers" "$b_ips" "$b_acc" "$b_rss"
echo "ratio (b)/(a) images/s: $(awk -v a="$a_ips" -v b="$b_ips" 'BEGIN{printf "%.2f", b/a}')"

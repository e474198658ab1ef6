#!/usr/bin/env bash
# Training throughput benchmark, both measured in this one run on this machine:
#   (a) a plain single-JVM DL4J fit of the main job's network, batch B (default 64), all cores to one JVM;
#   (b) averon train fashion-mnist-lenet with W workers as a user runs it (local Spark, embedded Aeron parameter
#       server, the job's batch per worker: 64, so a global batch of 64 x W).
# Prints images/s, test accuracy and peak RSS of each, and the ratio (b)/(a).
# Usage: deploy/bench/lenet-vs-dl4j.sh [epochs=1] [workers=2] [baseline-batch=64] [extra averon args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
epochs="${1:-1}"; workers="${2:-2}"; batch="${3:-64}"
shift $(( $# < 3 ? $# : 3 ))
target="$root/jobs/target"
[[ -f "$target/averon.jar" && -f "$target/jvm.options" ]] || (cd "$root" && mvn -B -q -DskipTests package)
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
# The baseline is given its best thread setting: one JVM with all cores to ND4J/OpenBLAS, and with one thread.
for threads in "$(nproc)" 1; do
  echo "(a) single-JVM DL4J fit, batch $batch, $epochs epoch(s), OMP_NUM_THREADS=$threads"
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=$threads /usr/bin/time -f "peak_rss_kb %M" -o "$out/a$threads.time" \
    java $(cat "$target/jvm.options") -Xmx4g -cp "$target/averon.jar:$target/spark/jars/*" \
    io.averon.jobs.bench.SingleJvmFit fashion-mnist-lenet "train.epochs=$epochs" "train.batch-size=$batch" \
    2>"$out/a$threads.err" | tee "$out/a$threads.out"
done
best=$(for t in "$(nproc)" 1; do echo "$(grep -E "epoch $epochs/" "$out/a$t.out" | sed -E 's/.*\(([0-9]+) img\/s\).*/\1/') $t"; done \
  | sort -n | tail -1 | awk '{print $2}')
cp "$out/a$best.out" "$out/a.out"; cp "$out/a$best.time" "$out/a.time"

echo "(b) averon train fashion-mnist-lenet, $workers workers, $epochs epoch(s) $*"
/usr/bin/time -f "peak_rss_kb %M" -o "$out/b.time" \
  "$root/deploy/averon" train fashion-mnist-lenet --master "local[$workers]" --workers "$workers" \
  --run-dir "$out/run" --set "train.epochs=$epochs" "$@" \
  2>"$out/b.err" | grep -E "^(epoch|run|model)" | tee "$out/b.out"

ips() { grep -E "epoch $epochs/" "$1" | sed -E 's/.*\(([0-9]+) img\/s\).*/\1/' | tail -1; }
acc() { grep -E "epoch $epochs/" "$1" | sed -E 's/.*test accuracy ([0-9.]+).*/\1/' | tail -1; }
a_ips=$(ips "$out/a.out"); b_ips=$(ips "$out/b.out")
a_acc=$(acc "$out/a.out"); b_acc=$(acc "$out/b.out")
a_rss=$(awk '{print int($2/1024)}' "$out/a.time"); b_rss=$(awk '{print int($2/1024)}' "$out/b.time")
echo
printf '%-34s %10s %10s %12s\n' "" "img/s" "accuracy" "peak RSS MB"
printf '%-34s %10s %10s %12s\n' "(a) single-JVM DL4J fit, $best thr" "$a_ips" "$a_acc" "$a_rss"
printf '%-34s %10s %10s %12s\n' "(b) averon, $workers workers" "$b_ips" "$b_acc" "$b_rss"
echo "ratio (b)/(a) images/s: $(awk -v a="$a_ips" -v b="$b_ips" 'BEGIN{printf "%.2f", b/a}')"

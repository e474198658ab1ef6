#!/usr/bin/env bash
# The main job against its compute limit, all measured in this one run on this machine, one after the other:
#   (a) compute limit: W concurrent single-threaded (OMP_NUM_THREADS=1) processes, each a plain DL4J fit of the main
#       job's network (LeNet, batch B per process) on its own 1/W of each epoch (the slice worker k of the main job
#       trains on), with no communication at all; they start their timed epoch together, and their summed img/s is
#       what W workers could reach if communication and the parameter server were free;
#   (b) the main job as a user runs it: averon train fashion-mnist-lenet with W workers (local Spark, embedded Aeron
#       parameter server, batch B per worker);
#   (c) the single-JVM DL4J fit at batch B, with OMP_NUM_THREADS=nproc and =1, the faster kept.
# Prints the img/s of each, (b) and (c) as fractions of (a), and the target of issue 8: (b) >= 95% of (a).
# Usage: deploy/bench/compute-limit.sh [epochs=1] [workers=2] [batch=64]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
epochs="${1:-1}"; workers="${2:-2}"; batch="${3:-64}"
target="$root/jobs/target"
jar="$target/averon.jar"
if [[ ! -f "$jar" || ! -f "$target/jvm.options" || ! -d "$target/spark/jars" || -n "$(find "$root"/*/src/main \
      "$root"/*/pom.xml -newer "$jar" -print -quit)" ]]; then
  echo "building $jar"
  (cd "$root" && mvn -B -q -DskipTests package)
fi
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null
out="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$out"
}
trap cleanup EXIT

ips() { sed -nE "s/.*epoch $epochs\/$epochs: .*\(([0-9]+) img\/s\).*/\1/p" "$1" | tail -1; }
fit() { # OMP threads, then SingleJvmFit arguments
  local threads="$1"; shift
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=$threads java $(cat "$target/jvm.options") -Xmx2g -cp "$jar:$target/spark/jars/*" \
    io.averon.jobs.bench.SingleJvmFit "$@" fashion-mnist-lenet "train.epochs=$epochs" "train.batch-size=$batch"
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB," \
  "$(java -version 2>&1 | head -1)"
echo "commit: $(git -C "$root" log -1 --format='%h %s' 2>/dev/null | cut -c1-100 || echo unknown), $(date -u +%FT%TZ)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "(a) compute limit: $workers concurrent single-threaded fits of 1/$workers of the data each, batch $batch," \
  "no communication"
for ((k = 0; k < workers; k++)); do
  fit 1 --part "$k/$workers" --start-together "$out/start" >"$out/part$k.out" 2>"$out/part$k.err" &
  pids+=("$!")
done
for ((k = 0; k < workers; k++)); do
  if ! wait "${pids[$k]}"; then echo "part $k failed:"; tail -20 "$out/part$k.err"; exit 1; fi
done
pids=()
limit=0
for ((k = 0; k < workers; k++)); do
  cat "$out/part$k.out"
  limit=$((limit + $(ips "$out/part$k.out")))
done
# The parts rarely end at the same moment; the last one runs alone for the difference. The sum of their rates is the
# compute limit; all images over the slower part's time is printed beside it.
wall=$(cat "$out"/part*.out | sed -nE "s/.*epoch $epochs\/$epochs: ([0-9]+) images in ([0-9.]+) s.*/\1 \2/p" \
  | awk '{n += $1; if ($2 > t) t = $2} END {printf "%.0f img/s (%d images, slower part %.1f s)", n / t, n, t}')
echo "  summed: $limit img/s; all images / the slower part's time: $wall"

echo "(b) averon train fashion-mnist-lenet, $workers workers x $batch, $epochs epoch(s)"
"$root/deploy/averon" train fashion-mnist-lenet --master "local[$workers]" --workers "$workers" \
  --run-dir "$out/run" --set "train.epochs=$epochs" --set "train.batch-size=$batch" 2>"$out/main.err" \
  | grep -E "^epoch $epochs/$epochs: " | tee "$out/main.out"
main=$(ips "$out/main.out")
# Where a worker's time went, from the run's metrics (compute = gradients, wait = the parameter server's step).
if [[ -f "$out/run/metrics.jsonl" ]]; then
  grep -o '"compute_s":[0-9.]*,"wait_s":[0-9.]*' "$out/run/metrics.jsonl" | tail -"$workers" \
    | sed -E 's/"compute_s":([0-9.]+),"wait_s":([0-9.]+)/  worker: computing \1 s, waiting for the parameter server \2 s/'
fi

single=0; single_threads=""
for threads in "$(nproc)" 1; do
  echo "(c) single-JVM DL4J fit, batch $batch, $epochs epoch(s), OMP_NUM_THREADS=$threads"
  fit "$threads" 2>"$out/single$threads.err" | tee "$out/single$threads.out"
  s=$(ips "$out/single$threads.out")
  if ((s > single)); then single=$s; single_threads=$threads; fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo
printf '%-62s %8s %18s\n' "" "img/s" "/ compute limit"
printf '%-62s %8s %18s\n' "(a) compute limit: $workers x 1 thread, no communication (sum)" "$limit" "1.00"
printf '%-62s %8s %18s\n' "(b) main job: averon, $workers workers x $batch" "$main" "$(ratio "$main" "$limit")"
printf '%-62s %8s %18s\n' "(c) single-JVM DL4J fit, batch $batch, $single_threads thread(s) (the faster)" "$single" \
  "$(ratio "$single" "$limit")"
echo "main job / single-JVM fit: $(ratio "$main" "$single")"
met=$(awk -v a="$main" -v b="$limit" 'BEGIN{print (a >= 0.95 * b) ? "met" : "not met"}')
echo "target: main job >= 0.95 x compute limit: $met ($(awk -v a="$main" -v b="$limit" 'BEGIN{printf "%.1f%%", 100*a/b}'))"

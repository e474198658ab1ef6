#!/usr/bin/env bash
# Model-zoo benchmark: each built-in Fashion-MNIST job trained as a user runs it (averon train, local Spark,
# 2 workers, embedded Aeron parameter server), on the same training subset for the same epochs, beside the
# 2-conv baseline (fashion-mnist-lenet) measured in this same run. Prints images/s and test accuracy (full
# 10,000-image test set) per model, and each model's ratios to the baseline.
# Usage: deploy/bench/zoo.sh [train-examples=6000 (0 = all)] [epochs=1] [job ...]
#   extra settings for every job: ZOO_SET="model.width=0.5 train.batch-size=32"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
limit="${1:-6000}"; epochs="${2:-1}"
shift $(( $# < 2 ? $# : 2 ))
jobs=("$@")
if [[ ${#jobs[@]} -eq 0 ]]; then
  jobs=(fashion-mnist-lenet5 fashion-mnist-lstm fashion-mnist-alexnet fashion-mnist-zfnet fashion-mnist-vgg16
        fashion-mnist-vgg19 fashion-mnist-googlenet fashion-mnist-resnet18 fashion-mnist-resnet34
        fashion-mnist-resnet50 fashion-mnist-resnet101 fashion-mnist-densenet121)
fi
target="$root/jobs/target"
[[ -f "$target/averon.jar" && -f "$target/jvm.options" ]] || (cd "$root" && mvn -B -q -DskipTests package)
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sets=(--set "dataset.train-limit=$limit" --set "train.epochs=$epochs")
for s in ${ZOO_SET:-}; do sets+=(--set "$s"); done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "each job: averon train <job> --master local[2] --workers 2 ${sets[*]}"
run() {
  local job="$1"
  local t0; t0=$(date +%s)
  if "$root/deploy/averon" train "$job" --master "local[2]" --workers 2 --run-dir "$out/$job" "${sets[@]}" \
      >"$out/$job.out" 2>"$out/$job.err"; then
    local line; line=$(grep -E "^epoch $epochs/$epochs:" "$out/$job.out" | tail -1)
    local ips acc params
    ips=$(sed -E 's/.*\(([0-9]+) img\/s\).*/\1/' <<<"$line")
    acc=$(sed -E 's/.*test accuracy ([0-9.]+).*/\1/' <<<"$line")
    params=$(grep -oE "model [0-9]+ params" "$out/$job.out" | head -1 | cut -d" " -f2 || true)
    echo "$job ${ips:-?} ${acc:-?} ${params:-?} $(( $(date +%s) - t0 ))" >>"$out/results"
    echo "  $job: ${ips:-?} img/s, test accuracy ${acc:-?}, $(( $(date +%s) - t0 )) s"
  else
    echo "$job failed - - - $(( $(date +%s) - t0 ))" >>"$out/results"
    echo "  $job: FAILED: $(tail -1 "$out/$job.err")"
  fi
}
run fashion-mnist-lenet
for job in "${jobs[@]}"; do run "$job"; done

echo
read -r _ base_ips base_acc _ _ < <(head -1 "$out/results")
printf '%-28s %12s %8s %9s %10s %10s %8s\n' "job" "parameters" "img/s" "accuracy" "img/s ÷ bl" "acc ÷ bl" "wall s"
while read -r job ips acc params secs; do
  printf '%-28s %12s %8s %9s %10s %10s %8s\n' "$job" "$params" "$ips" "$acc" \
    "$(awk -v a="$ips" -v b="$base_ips" 'BEGIN{if (a+0>0) printf "%.2f", a/b; else print "-"}')" \
    "$(awk -v a="$acc" -v b="$base_acc" 'BEGIN{if (a+0>0) printf "%.3f", a/b; else print "-"}')" "$secs"
done <"$out/results"
echo "baseline (bl): fashion-mnist-lenet, the 2-conv LeNet (published 2-conv Fashion-MNIST baseline: 0.876)"

#!/usr/bin/env bash
# Accuracy against the worker count: the main job (LeNet, Fashion-MNIST, batch 64 per worker) trained with W workers
# (local Spark with W task slots: this measures accuracy, not speed) under several optimizer settings, test accuracy
# after epoch 2 and after the last epoch, each beside the same setting's 1-worker run.
#
#   deploy/bench/workers-accuracy.sh [--workers "1 2 4 8"] [--epochs 5] [--configs "unscaled defaults lamb lars"]
#                                    [--out DIR] [-- extra averon args]
#
# Settings (--configs, in the order given; the run order is config by config, workers as listed):
#   unscaled  the main job's Adam 1e-3, the learning rate not scaled (model.lr-scaling = none, the old default)
#   defaults  the main job as it is: Adam 1e-3 scaled by sqrt(workers) (model.lr-scaling = auto)
#   lamb      LAMB, learning rate $LAMB_LR (default 0.01), weight decay 0, not scaled
#   lars      LARS with momentum 0.9, learning rate $LARS_LR (default 5), trust coefficient 0.001, not scaled
# Training is synchronous and exact, so every figure is reproducible bit for bit on any machine; a run takes about
# 1.5 min per epoch on 2 cores whatever W is. Results: a table on stdout and DIR/workers-accuracy.csv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
workers="1 2 4 8"; epochs=5; configs="unscaled defaults lamb lars"; out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --configs) configs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "workers-accuracy.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$epochs" =~ ^[1-9][0-9]*$ ]] || { echo "workers-accuracy.sh: --epochs $epochs: expected a positive number" >&2; exit 2; }
out="${out:-$(mktemp -d)}"
mkdir -p "$out"
"$root/deploy/fetch-fashion-mnist.sh" >/dev/null

settings() {
  case "$1" in
    unscaled) echo "--set model.lr-scaling=none" ;;
    defaults) ;;
    lamb) echo "--set model.updater=lamb --set model.learning-rate=${LAMB_LR:-0.01} --set model.lr-scaling=none" ;;
    lars) echo "--set model.updater=lars --set model.learning-rate=${LARS_LR:-5} --set model.momentum=0.9 --set model.lr-scaling=none" ;;
    *) echo "workers-accuracy.sh: unknown setting '$1' (unscaled, defaults, lamb, lars)" >&2; exit 2 ;;
  esac
}
for c in $configs; do settings "$c" >/dev/null; done

accuracy() { # metrics.jsonl, epoch -> test accuracy after that epoch
  grep '"event":"epoch"' "$1" | grep "\"epoch\":$2," | sed -E 's/.*"test_accuracy":([0-9.]+).*/\1/' | head -1
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, commit $(git -C "$root" rev-parse --short HEAD)"
csv="$out/workers-accuracy.csv"
echo "setting,workers,global_batch,epochs,accuracy_epoch_2,accuracy_last" > "$csv"
printf '%-9s %8s %12s %12s %12s\n' setting workers global-batch "acc@2" "acc@$epochs"
for c in $configs; do
  for w in $workers; do
    run="$out/$c-$w"
    rm -rf "$run"
    # shellcheck disable=SC2046
    "$root/deploy/averon" train fashion-mnist-lenet --master "local[$w]" --workers "$w" --run-dir "$run" \
      --set "train.epochs=$epochs" --set train.train-accuracy-examples=0 $(settings "$c") "$@" \
      > "$out/$c-$w.log" 2>&1 || { echo "workers-accuracy.sh: $c with $w workers failed: see $out/$c-$w.log" >&2; exit 1; }
    a2=$(accuracy "$run/metrics.jsonl" 2); al=$(accuracy "$run/metrics.jsonl" "$epochs")
    echo "$c,$w,$((64 * w)),$epochs,${a2:-},${al:-}" >> "$csv"
    printf '%-9s %8d %12d %12s %12s\n' "$c" "$w" $((64 * w)) "${a2:--}" "${al:--}"
  done
done
echo "results: $csv (run directories and logs in $out)"

#!/usr/bin/env bash
# What authenticating frames (FrameMac: NH then HMAC-SHA256, per frame; issue 8 item 4) costs per training step, beside the step it is
# part of, both measured in this one run on this machine:
#   (a) StepMacBench (JMH): all the MAC work of one synchronous step with 2 workers on one thread: both gradients
#       signed and verified, the parameters signed once and verified by both workers; for LeNet (431,080
#       parameters) and a ResNet-50-sized model (25,000,000);
#   (b) one epoch of the main job (LeNet, Fashion-MNIST, 2 workers x 64, Spark local mode), whose images/s give the
#       time of one step (128 images).
# Prints (a), (b) and (a)/(b) for LeNet, against issue 8's target of at most 5% of a LeNet step.
# Usage: deploy/bench/mac-cost.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$root/benchmarks/target/benchmarks.jar"
[[ -f "$jar" && -f "$root/jobs/target/averon.jar" ]] || (cd "$root" && mvn -B -q -DskipTests package)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED -cp "$jar" org.openjdk.jmh.Main StepMacBench \
  -p parameters=431080,25000000 -rf csv -rff "$out/mac.csv" | grep -E '^(Benchmark|StepMacBench)'
mac_us=$(awk -F, 'NR>1 && $0 ~ /431080/ {print $5}' "$out/mac.csv")
"$root/deploy/averon" train fashion-mnist-lenet --master "local[2]" --workers 2 --run-dir "$out/run" \
  --set train.epochs=1 2>"$out/run.err" | grep -E '^epoch 1/1:' | tee "$out/run.out"
ips=$(sed -E 's/.*\(([0-9]+) img\/s\).*/\1/' "$out/run.out")
step_ms=$(echo "128 * 1000 / $ips" | bc -l)
printf 'LeNet step (2 workers x 64) %.1f ms; MACs of one step %.2f ms on one thread = %.1f%% of a step (target <= 5%%)\n' \
  "$step_ms" "$(echo "$mac_us / 1000" | bc -l)" "$(echo "100 * $mac_us / 1000 / $step_ms" | bc -l)"

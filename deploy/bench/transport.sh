#!/usr/bin/env bash
# Workers' transport to the parameter server in Spark local mode, both measured in this one run on this machine:
#   (a) ps.transport = udp: workers send gradients and receive parameters over loopback UDP (the old default);
#   (b) ps.transport = auto: workers share the driver's media driver and talk over Aeron IPC (shared memory).
# Same job, data, seed and worker count; prints images/s and test accuracy of each and the ratio (b)/(a). The
# parameters must come out bit-identical: the transport carries the same bytes, so the accuracies are equal.
# Usage: deploy/bench/transport.sh [job=fashion-mnist-lenet] [epochs=1] [workers=2] [extra averon args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
job="${1:-fashion-mnist-lenet}"; epochs="${2:-1}"; workers="${3:-2}"
shift $(( $# < 3 ? $# : 3 ))
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
for transport in udp auto; do
  echo "averon train $job, $workers workers, $epochs epoch(s), ps.transport=$transport $*"
  "$root/deploy/averon" train "$job" --master "local[$workers]" --workers "$workers" --run-dir "$out/$transport" \
    --set "train.epochs=$epochs" --set "ps.transport=$transport" "$@" 2>"$out/$transport.err" \
    | grep -E "^(epoch $epochs/$epochs:|parameter server)" | tee "$out/$transport.out"
done

ips() { grep -E "^epoch $epochs/" "$1" | sed -E 's/.*\(([0-9]+) img\/s\).*/\1/' | tail -1; }
acc() { grep -E "^epoch $epochs/" "$1" | sed -E 's/.*test accuracy ([0-9.]+).*/\1/' | tail -1; }
udp=$(ips "$out/udp.out"); ipc=$(ips "$out/auto.out")
printf 'udp %s img/s (accuracy %s), ipc %s img/s (accuracy %s), ratio ipc/udp %.2f\n' \
  "$udp" "$(acc "$out/udp.out")" "$ipc" "$(acc "$out/auto.out")" "$(echo "$ipc / $udp" | bc -l)"
cmp -s <(unzip -p "$out/udp/model.zip" coefficients.bin) <(unzip -p "$out/auto/model.zip" coefficients.bin) \
  && echo "final parameters bit-identical" || echo "final parameters DIFFER"

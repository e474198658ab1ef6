#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this executor's machine as Spark's resource JSON,
#   {"name":"gpu","addresses":["0","1"]}
# Use it with
#   --conf spark.executor.resource.gpu.amount=1 --conf spark.task.resource.gpu.amount=1
#   --conf spark.executor.resource.gpu.discoveryScript=/path/on/every/executor/gpu-discovery.sh
# Addresses are CUDA device indices, which is what Averon's workers bind to (ND4J's device numbers). nvidia-smi
# numbers GPUs in PCI bus order; set spark.executorEnv.CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA numbers them alike.
# When CUDA_VISIBLE_DEVICES is set (a container or YARN gave the executor some GPUs) CUDA renumbers the visible ones
# from 0, so the addresses are 0..n-1 for its n entries rather than nvidia-smi's machine-wide indices.
# Exit status: 0 with the JSON on stdout; 1 with the reason on stderr (no nvidia-smi, it failed, no GPU).
set -euo pipefail

fail() {
  echo "gpu-discovery.sh: error: $*" >&2
  exit 1
}

command -v nvidia-smi >/dev/null 2>&1 \
  || fail "nvidia-smi not found on PATH ($PATH): install the NVIDIA driver on this executor's machine, or leave spark.executor.resource.gpu.* unset to train on CPUs"

if ! listing="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1)"; then
  fail "nvidia-smi --query-gpu=index failed: ${listing//$'\n'/ }"
fi

indices=()
while IFS= read -r line; do
  line="${line//[[:space:]]/}"
  [[ -z "$line" ]] && continue
  [[ "$line" =~ ^[0-9]+$ ]] || fail "nvidia-smi listed '$line', not a GPU index"
  indices+=("$line")
done <<< "$listing"
(( ${#indices[@]} > 0 )) || fail "nvidia-smi lists no GPU on this machine"

if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then
  visible="${CUDA_VISIBLE_DEVICES//[[:space:]]/}"
  [[ -n "$visible" ]] || fail "CUDA_VISIBLE_DEVICES is set but empty: CUDA sees no GPU on this executor"
  IFS=',' read -r -a entries <<< "$visible"
  (( ${#entries[@]} <= ${#indices[@]} )) \
    || fail "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES names ${#entries[@]} GPUs but nvidia-smi lists ${#indices[@]}"
  indices=()
  for (( i = 0; i < ${#entries[@]}; i++ )); do
    indices+=("$i")
  done
fi

json='{"name":"gpu","addresses":['
for (( i = 0; i < ${#indices[@]}; i++ )); do
  (( i > 0 )) && json+=','
  json+="\"${indices[$i]}\""
done
echo "$json]}"

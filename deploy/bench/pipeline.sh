#!/usr/bin/env bash
# Input-pipeline benchmark, all measured in this one run on this machine, one thread per measurement:
# decode + augment rate of 32x32 and 224x224 JPEG folders and of the same images as prepared shards, beside the
# rate at which one worker consumes images computing LeNet (28x28) and ResNet-18 (224x224) gradients, then the
# share of steps that found their batch ready with a prefetching pipeline in front of each network.
# Usage: deploy/bench/pipeline.sh [work-dir=target/pipeline-bench] [32x32 images=3000] [224x224 images=300]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$root/jobs/target/pipeline-bench}"; small="${2:-3000}"; large="${3:-300}"
target="$root/jobs/target"
[[ -f "$target/averon.jar" && -f "$target/jvm.options" ]] || (cd "$root" && mvn -B -q -DskipTests package)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1)"
# One core per measurement: a worker gets one core on this machine, and so does its prefetch thread.
# shellcheck disable=SC2046
OMP_NUM_THREADS=1 java $(cat "$target/jvm.options") -Xmx6g -Dbench.small="$small" -Dbench.large="$large" \
  -cp "$target/averon.jar:$target/spark/jars/*" io.averon.jobs.bench.PipelineBench "$work" 2>"$work.log" \
  || { echo "pipeline benchmark failed; its log: $work.log" >&2; tail -20 "$work.log" >&2; exit 1; }

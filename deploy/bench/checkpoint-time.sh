#!/usr/bin/env bash
# What a checkpoint of a ResNet-50-sized model (25M parameters, Adam: 2 updater values each) costs on this machine's
# disk, beside a plain write + fsync of the same bytes measured in the same run, and what training waits for (the
# snapshot copy; the write itself runs on the background checkpoint writer).
# Usage: deploy/bench/checkpoint-time.sh [directory=$(mktemp -d)] [parameters=25000000]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="$root/jobs/target"
[[ -f "$target/averon.jar" && -f "$target/jvm.options" ]] || (cd "$root" && mvn -B -q -DskipTests package)
dir="${1:-}"
cleanup=""
if [[ -z "$dir" ]]; then dir="$(mktemp -d)"; cleanup="$dir"; fi
trap '[[ -n "$cleanup" ]] && rm -rf "$cleanup"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(java -version 2>&1 | head -1), $(df -h "$dir" | awk 'NR==2{print $1" "$2}')"
java $(cat "$target/jvm.options") -Xmx3g -cp "$target/averon.jar:$target/spark/jars/*" \
  io.averon.jobs.bench.CheckpointTime "$dir" "${2:-25000000}" 2 3

#!/usr/bin/env bash
# Writes docs/faults.md from deploy/faults/faults.md.in and the figures the fault tests recorded.
#
#   deploy/faults/fault-matrix.sh                 run the fault tests (about 20 minutes on 2 cores), then write it
#   deploy/faults/fault-matrix.sh --from DIR      only write it, from the figures a `mvn verify` left in checkout DIR
#
# Each fault test writes its row's figures to <module>/target/fault-matrix/<row>.md after its assertions pass. A row
# without figures (its test did not run or failed) stops the script naming the row: the matrix never shows a row
# whose test did not pass.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
project=$(pwd)
source_dir=$project
case "${1:-}" in
  --from)
    [[ -n "${2:-}" ]] || { echo "fault-matrix.sh: --from needs a checkout directory" >&2; exit 2; }
    source_dir=$(cd "$2" && pwd) || { echo "fault-matrix.sh: --from $2: no such directory" >&2; exit 2; }
    ;;
  "")
    rm -rf driver/target/fault-matrix jobs/target/fault-matrix
    mvn -B -q install -DskipTests
    mvn -B -pl driver test -Dtest='BackgroundCheckpointsTest,LocalCheckpointStoreTest,HdfsCheckpointStoreTest,RunLockTest,ResumePointTest'
    mvn -B -pl jobs verify -Dtest='KubernetesManifestTest' \
      -Dit.test='SparkSubmitIT,ResumeIT,ExecutorLossIT,YarnIT,BadInputIT'
    ;;
  *)
    echo "usage: fault-matrix.sh [--from CHECKOUT]" >&2
    exit 2
    ;;
esac

template=deploy/faults/faults.md.in
output=docs/faults.md
commit=$(git -C "$source_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)
recorded=$(find "$source_dir/driver/target/fault-matrix" "$source_dir/jobs/target/fault-matrix" -name '*.md' \
  -printf '%TY-%Tm-%Td %TH:%TM UTC\n' 2>/dev/null | sort | tail -1)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
generated="Figures recorded ${recorded:-at an unknown time} by the tests of commit $commit on $(nproc) cores ($cpu), $memory."

missing=()
temporary=$(mktemp "${output}.XXXXXX")
trap 'rm -f "$temporary"' EXIT
while IFS= read -r line || [[ -n "$line" ]]; do
  line=${line//'{{generated}}'/$generated}
  while [[ $line =~ \{\{measured:([a-z0-9-]+)\}\} ]]; do
    row=${BASH_REMATCH[1]}
    figures=""
    for module in driver jobs; do
      file="$source_dir/$module/target/fault-matrix/$row.md"
      if [[ -f "$file" ]]; then
        figures=$(head -1 "$file")
      fi
    done
    if [[ -z "$figures" ]]; then
      missing+=("$row")
      figures="(not measured)"
    fi
    line=${line//"{{measured:$row}}"/$figures}
  done
  printf '%s\n' "$line"
done < "$template" > "$temporary"

if (( ${#missing[@]} > 0 )); then
  echo "fault-matrix.sh: no figures for ${missing[*]} under $source_dir/{driver,jobs}/target/fault-matrix:" \
    "their tests did not run or did not pass; $output left unchanged" >&2
  exit 1
fi
mv "$temporary" "$output"
trap - EXIT
echo "wrote $output ($commit)"

#!/usr/bin/env bash
# Parameter-server frame-fuzz soak: FrameFuzzIT with a million hostile frames (issue 8's figure; the suite runs
# 200,000) and a fresh random seed, against a live server while two UDP workers train beside it. Prints the seed
# (pass it back to reproduce a failure), the fuzz rate, and the server's rejections by reason.
# Usage: deploy/bench/ps-fuzz-soak.sh [frames=1000000] [seed=random]   (MVN_ARGS="-o" to build offline)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
frames="${1:-1000000}"
seed="${2:-$(od -An -N8 -td8 /dev/urandom | tr -d ' ')}"
log="$(mktemp)"
echo "ps-fuzz-soak: FrameFuzzIT, $frames frames, seed $seed, $(nproc) cores"
t0=$(date +%s)
# shellcheck disable=SC2086
if (cd "$root" && mvn -B ${MVN_ARGS:-} -pl parameter-server verify -Dit.test=FrameFuzzIT -Dtest=NONE \
      -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
      -Daveron.fuzz.frames="$frames" -Daveron.fuzz.seed="$seed") >"$log" 2>&1; then
  grep -h "^FrameFuzzIT:" "$log" | tail -1
  echo "PASS in $(( $(date +%s) - t0 )) s (including the build and the clean run)"
  rm -f "$log"
else
  grep -hE "^FrameFuzzIT:|AssertionFailedError|Tests run:" "$log" | head -20 || true
  echo "FAIL: reproduce with deploy/bench/ps-fuzz-soak.sh $frames $seed; full log in $log"
  exit 1
fi

#!/usr/bin/env bash
# One synchronous parameter-server step of a 25M-float (ResNet-50-sized) gradient, with 1 and 2 workers, each part
# against its physical limit measured in this same run on this machine (JMH, benchmarks module):
#   transport (gradients in, parameters out, wire encoding and decoding; real server and clients sharing one media
#     driver, over Aeron IPC and over loopback UDP)  vs  a plain memcpy of the same bytes (2 x workers x 100 MB);
#   update (averaging of the workers' gradients, Adam, the server's finiteness pass)  vs  one pass over the arrays
#     it must read and write.
# Prints JMH's log, then a table with each figure, its limit, the ratio and issue 8's targets (IPC transport <= 3x
# its memcpy, update <= 2x its memory pass). One benchmark JVM at a time (2 GB heap each); about 5 minutes here.
# Usage: deploy/bench/ps-step.sh [key=value ...]   keys: parameters, workers (1,2), media (ipc,udp), forks, warmup,
#                                                  iterations, time (seconds per iteration)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$root/benchmarks/target/benchmarks.jar"
if [[ ! -f "$jar" || -n "$(find "$root/parameter-server/src" "$root/parameter-server/pom.xml" "$root/benchmarks/src" \
      "$root/benchmarks/pom.xml" -newer "$jar" -print -quit)" ]]; then
  echo "building $jar"
  (cd "$root" && mvn -B -q -DskipTests package -pl benchmarks -am)
fi

# Media-driver directories are named averon-bench-<pid>-<uuid>: the benchmark deletes its own on teardown; a fork
# that was killed leaves its directory behind, removed here once that pid is gone.
cleanup() {
  local dir pid
  for dir in /dev/shm/averon-bench-*; do
    [[ -d "$dir" ]] || continue
    pid="${dir#/dev/shm/averon-bench-}"; pid="${pid%%-*}"
    if ! kill -0 "$pid" 2>/dev/null; then rm -rf "$dir"; echo "removed leftover $dir"; fi
  done
}
trap cleanup EXIT

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GiB," \
  "$(java -version 2>&1 | head -1)"
echo "commit: $(git -C "$root" log -1 --format='%h %s' 2>/dev/null | cut -c1-100 || echo unknown), $(date -u +%FT%TZ)"
# Other work on the machine shows up here (2 cores: a load above ~1 before the start means the figures are shared).
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Forks inherit these flags (Aeron needs the first; the second speeds up UDP) and add their own 2 GB heap.
java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Xmx256m \
  -jar "$jar" "$@"

#!/usr/bin/env bash
# An emulated multi-host cluster on one Linux machine: N network namespaces ("hosts") joined by a bridge, each with
# its own address, loopback and /etc/hosts. Needs root (ip netns, veth, bridge, tc).
#
#   netns-cluster.sh [options] up N        create hosts <prefix>-h0 .. <prefix>-h<N-1>
#   netns-cluster.sh [options] down        remove everything of <prefix>: processes in its namespaces, namespaces,
#                                          veths, bridge, /etc/netns/<prefix>-h*; undo a bridge-nf change it made
#   netns-cluster.sh [options] status      what exists of <prefix>, with addresses, byte counters and processes
#   netns-cluster.sh [options] exec I CMD  run CMD in host I with SPARK_LOCAL_IP / SPARK_LOCAL_HOSTNAME set to its
#                                          address
#   netns-cluster.sh [options] addr I      print host I's address
# Exit status: 0 done, 2 bad usage or environment, 3 up refused because objects of <prefix> exist, 1 other failure.
#
# Options (flag or environment variable):
#   --prefix P   PREFIX  name prefix of every object (default avn; at most 10 characters so that names fit IFNAMSIZ)
#   --subnet S   SUBNET  IPv4 subnet of the hosts (default 10.77.0.0/24); host i gets the subnet's address 10 + i
#   --rate R     RATE    cap each host's link in both directions with a tbf qdisc, e.g. 1gbit (default: no cap)
#   --burst B    BURST   tbf bucket size (default 1mb)
#   --mtu M      MTU     MTU of the veths (default 1500, an Ethernet link)
#
# Layout: a bridge <prefix>-br in the root namespace (no address: the root namespace takes no part in the
# cluster's traffic, so every byte counted on the bridge went from one host to another); for host i a veth pair
# <prefix>-v<i> (root side, on the bridge) <-> eth0 (inside namespace <prefix>-h<i>). The byte counters of
# <prefix>-v<i> (/sys/class/net/<prefix>-v<i>/statistics) count host i's traffic: rx = what host i sent.
set -euo pipefail

PREFIX="${PREFIX:-avn}"
SUBNET="${SUBNET:-10.77.0.0/24}"
RATE="${RATE:-}"
BURST="${BURST:-1mb}"
MTU="${MTU:-1500}"
FIRST_HOST_OFFSET=10
STATE_DIR=/run/averon-netns

die() { echo "netns-cluster: $*" >&2; exit 2; }

# The usage text is the comment block at the top of this file.
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --subnet) SUBNET="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --burst) BURST="$2"; shift 2 ;;
    --mtu) MTU="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || usage
command="$1"; shift

# Names: the longest is <prefix>-v<i> (veth) which must fit in 15 characters with up to 3 digits of i.
[[ "$PREFIX" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "prefix '$PREFIX' must be 1-10 lower-case letters/digits, starting with a letter"
[[ "$MTU" =~ ^[0-9]+$ && "$MTU" -ge 576 && "$MTU" -le 65535 ]] || die "MTU '$MTU' must be a number in [576, 65535]"
BRIDGE="$PREFIX-br"
ns_name() { echo "$PREFIX-h$1"; }
veth_name() { echo "$PREFIX-v$1"; }

ip_to_int() { local IFS=.; local -a o=($1); echo $(( (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3] )); }
int_to_ip() { echo "$(( ($1 >> 24) & 255 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"; }

[[ "$SUBNET" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]{1,2})$ ]] || die "subnet '$SUBNET' must look like 10.77.0.0/24"
PREFIX_LEN="${SUBNET#*/}"
(( PREFIX_LEN >= 8 && PREFIX_LEN <= 29 )) || die "subnet '$SUBNET': prefix length must be in [8, 29]"
NETWORK=$(( $(ip_to_int "${SUBNET%/*}") & (0xFFFFFFFF << (32 - PREFIX_LEN)) & 0xFFFFFFFF ))
SUBNET_SIZE=$(( 1 << (32 - PREFIX_LEN) ))

host_addr() { int_to_ip $(( NETWORK + FIRST_HOST_OFFSET + $1 )); }

need_root() { [[ $(id -u) -eq 0 ]] || die "$command needs root (network namespaces, veths and bridges are privileged)"; }

# Serialise up/down of one prefix (a test and an operator may race).
take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$STATE_DIR/$PREFIX.lock"
  flock -w 60 9 || die "another netns-cluster.sh holds $STATE_DIR/$PREFIX.lock"
}

# What exists of this prefix, found by name (so down also removes what a crashed up left behind).
existing_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-h[0-9]+$" | sort -t h -k2 -n || true; }
existing_links() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${PREFIX}-(br|v[0-9]+)$" || true; }
existing_etc() { ls -d /etc/netns/"$PREFIX"-h* 2>/dev/null | grep -E "/${PREFIX}-h[0-9]+$" || true; }

kill_namespace_processes() {
  local ns="$1" pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -z "$pids" ]] && return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 50); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -z "$pids" ]] && return 0
    sleep 0.2
  done
  echo "netns-cluster: killing what ignored SIGTERM in $ns: $pids" >&2
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}

# Bridged IPv4 frames pass the root namespace's iptables/arptables when br_netfilter is loaded and
# bridge-nf-call-* is 1; a DROP policy there would silently cut the hosts off from each other.
BRNF_KEYS=(bridge-nf-call-iptables bridge-nf-call-ip6tables bridge-nf-call-arptables)
brnf_active() {
  local key
  for key in "${BRNF_KEYS[@]}"; do
    [[ -r /proc/sys/net/bridge/$key && "$(cat /proc/sys/net/bridge/$key)" == 1 ]] && return 0
  done
  return 1
}

# A TCP connect to a closed port: "refused" means a RST came back, i.e. the SYN crossed the bridge and the answer
# too; a timeout means something dropped it.
reachable() {
  local from="$1" to_addr="$2" out
  out=$(ip netns exec "$from" timeout 3 bash -c "exec 3<>/dev/tcp/$to_addr/9" 2>&1) && return 0
  [[ "$out" == *"refused"* ]]
}

check_connectivity() {
  local n="$1" i from
  from=$(ns_name 0)
  for (( i = 1; i < n; i++ )); do
    reachable "$from" "$(host_addr "$i")" || return 1
  done
  return 0
}

cmd_down() {
  need_root
  take_lock
  local ns link dir key
  for ns in $(existing_namespaces); do
    kill_namespace_processes "$ns"
  done
  for link in $(existing_links); do
    [[ "$link" == "$BRIDGE" ]] && continue
    ip link del "$link" 2>/dev/null || true
  done
  if ip link show "$BRIDGE" &>/dev/null; then
    ip link del "$BRIDGE"
  fi
  for ns in $(existing_namespaces); do
    ip netns del "$ns"
  done
  for dir in $(existing_etc); do
    rm -rf -- "$dir"
  done
  rmdir /etc/netns 2>/dev/null || true
  # Restore the bridge-nf sysctls only if this prefix changed them (recorded by up).
  if [[ -f "$STATE_DIR/$PREFIX.brnf" ]]; then
    while read -r key value; do
      [[ -w /proc/sys/net/bridge/$key ]] && echo "$value" > "/proc/sys/net/bridge/$key"
    done < "$STATE_DIR/$PREFIX.brnf"
    rm -f "$STATE_DIR/$PREFIX.brnf"
  fi
  rm -f "$STATE_DIR/$PREFIX.state"
  echo "netns-cluster: $PREFIX is down"
}

up_exit() {
  local status="$1"
  [[ "$UP_DONE" == true ]] && return 0
  trap - EXIT
  echo "netns-cluster: up did not finish (status $status); removing what was created" >&2
  cmd_down >&2 || true
  exit $(( status == 0 ? 1 : status ))
}

cmd_up() {
  local n="${1:-}"
  [[ "$n" =~ ^[0-9]+$ && "$n" -ge 1 && "$n" -le 999 ]] || die "up needs a host count in [1, 999], got '${n}'"
  (( FIRST_HOST_OFFSET + n < SUBNET_SIZE - 1 )) || die "subnet $SUBNET is too small for $n hosts from offset $FIRST_HOST_OFFSET"
  need_root
  command -v ip >/dev/null || die "iproute2 (ip) is not installed"
  [[ -z "$RATE" ]] || command -v tc >/dev/null || die "RATE=$RATE needs tc (iproute2)"
  local leftovers
  leftovers="$(existing_namespaces) $(existing_links) $(existing_etc)"
  if [[ -n "${leftovers// /}" ]]; then
    # Status 3, apart from other errors (2), so that a caller knows nothing was created and nothing is its to remove.
    echo "netns-cluster: a cluster with prefix '$PREFIX' already exists ($(echo $leftovers)); run '$0 --prefix $PREFIX down' first" >&2
    exit 3
  fi
  take_lock
  # Any exit before the end (a failed command anywhere under set -e, a signal) removes what was created so far:
  # everything with this prefix is ours (checked above).
  UP_DONE=false
  trap 'up_exit $?' EXIT
  trap 'exit 130' INT TERM

  ip link add "$BRIDGE" type bridge
  # STP off and forward delay 0: ports forward at once instead of after 2 x 15 s of listening/learning.
  ip link set "$BRIDGE" type bridge stp_state 0 forward_delay 0
  ip link set "$BRIDGE" mtu "$MTU" up

  local uts_name i ns veth addr
  uts_name=$(uname -n)
  for (( i = 0; i < n; i++ )); do
    ns=$(ns_name "$i"); veth=$(veth_name "$i"); addr=$(host_addr "$i")
    ip netns add "$ns"
    ip link add "$veth" mtu "$MTU" type veth peer name eth0 mtu "$MTU" netns "$ns"
    ip link set "$veth" master "$BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/$PREFIX_LEN" dev eth0
    ip -n "$ns" link set eth0 up
    if [[ -n "$RATE" ]]; then
      # Both directions: the root side's egress is the host's ingress.
      tc qdisc add dev "$veth" root tbf rate "$RATE" burst "$BURST" latency 50ms
      ip netns exec "$ns" tc qdisc add dev eth0 root tbf rate "$RATE" burst "$BURST" latency 50ms
    fi
  done

  # /etc/netns/<ns>/hosts is bind-mounted over /etc/hosts by `ip netns exec`. The UTS hostname is shared by all
  # namespaces (InetAddress.getLocalHost() resolves it), so each host maps it to its own address.
  local j
  for (( i = 0; i < n; i++ )); do
    ns=$(ns_name "$i")
    mkdir -p "/etc/netns/$ns"
    {
      echo "# written by netns-cluster.sh for host $ns; removed by 'down'"
      echo "127.0.0.1 localhost"
      echo "::1 localhost ip6-localhost ip6-loopback"
      for (( j = 0; j < n; j++ )); do
        if (( j == i )); then
          echo "$(host_addr "$j") $(ns_name "$j") $uts_name"
        else
          echo "$(host_addr "$j") $(ns_name "$j")"
        fi
      done
    } > "/etc/netns/$ns/hosts"
  done

  if (( n > 1 )) && ! check_connectivity "$n"; then
    if brnf_active; then
      # Traffic across the bridge is dropped by the root namespace's netfilter: stop sending bridged frames there.
      # This is a root-namespace setting; record the old values so that down restores them.
      local key
      : > "$STATE_DIR/$PREFIX.brnf"
      for key in "${BRNF_KEYS[@]}"; do
        [[ -w /proc/sys/net/bridge/$key ]] || continue
        echo "$key $(cat /proc/sys/net/bridge/$key)" >> "$STATE_DIR/$PREFIX.brnf"
        echo 0 > "/proc/sys/net/bridge/$key"
      done
      echo "netns-cluster: br_netfilter dropped bridged traffic; set net.bridge.bridge-nf-call-*=0 until down" >&2
    fi
    check_connectivity "$n" || { echo "netns-cluster: $(ns_name 0) cannot reach the other hosts" >&2; false; }
  fi

  echo "hosts=$n subnet=$SUBNET mtu=$MTU rate=${RATE:-none}" > "$STATE_DIR/$PREFIX.state"
  UP_DONE=true
  trap - INT TERM
  for (( i = 0; i < n; i++ )); do
    echo "$(ns_name "$i") $(host_addr "$i")"
  done
}

cmd_status() {
  local ns i veth
  if [[ -f "$STATE_DIR/$PREFIX.state" ]]; then
    echo "cluster $PREFIX: $(cat "$STATE_DIR/$PREFIX.state")"
  else
    echo "cluster $PREFIX: no state file (not up, or a leftover of a failed up)"
  fi
  [[ -f "$STATE_DIR/$PREFIX.brnf" ]] && echo "bridge-nf sysctls changed by up (restored by down): $(tr '\n' ' ' < "$STATE_DIR/$PREFIX.brnf")"
  if ip link show "$BRIDGE" &>/dev/null; then
    echo "bridge $BRIDGE: $(ip -br link show "$BRIDGE" | awk '{print $2}')"
  fi
  for ns in $(existing_namespaces); do
    i="${ns##*-h}"; veth=$(veth_name "$i")
    local addr rx tx pids
    addr=$(ip -n "$ns" -4 -br addr show dev eth0 2>/dev/null | awk '{print $3}')
    if [[ -d /sys/class/net/$veth ]]; then
      rx=$(cat "/sys/class/net/$veth/statistics/rx_bytes"); tx=$(cat "/sys/class/net/$veth/statistics/tx_bytes")
    else
      rx=-; tx=-
    fi
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    echo "host $ns addr ${addr:-none} veth $veth sent ${rx}B received ${tx}B pids ${pids:-none}"
  done
  local links etc
  links=$(existing_links | tr '\n' ' '); etc=$(existing_etc | tr '\n' ' ')
  echo "links: ${links:-none}"
  echo "/etc/netns: ${etc:-none}"
}

cmd_exec() {
  local i="${1:-}"
  [[ "$i" =~ ^[0-9]+$ ]] || die "exec needs a host index, got '$i'"
  shift
  [[ $# -ge 1 ]] || die "exec $i needs a command"
  need_root
  local ns addr
  ns=$(ns_name "$i"); addr=$(host_addr "$i")
  ip netns list | awk '{print $1}' | grep -qx "$ns" || die "host $ns does not exist (run up first)"
  # Spark names a process by SPARK_LOCAL_HOSTNAME / SPARK_LOCAL_IP; without them it would use the shared UTS name.
  exec ip netns exec "$ns" env SPARK_LOCAL_IP="$addr" SPARK_LOCAL_HOSTNAME="$addr" "$@"
}

case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  exec) cmd_exec "$@" ;;
  addr) [[ "${1:-}" =~ ^[0-9]+$ ]] || die "addr needs a host index"; host_addr "$1" ;;
  *) usage ;;
esac

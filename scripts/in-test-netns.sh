#!/usr/bin/env bash
# Runs a command inside a private "client" network namespace joined by a veth pair to a private
# "rig" namespace: rig 198.18.0.1/24, client 198.18.0.2/24 (a reserved benchmarking range).
# libwebrtc gathers no loopback candidates, so WebRTC between rig and app needs a real link;
# nothing in either namespace can reach any other address. Needs root.
# The command sees AVATAR_DESKTOP_RIG_NETNS (where to start the rig) and the two addresses.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
  echo "in-test-netns: needs root (network namespaces)" >&2
  exit 2
fi
tag="ad$$"
rig_ns="${tag}rig"
cli_ns="${tag}cli"
cleanup() {
  ip netns pids "$rig_ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$cli_ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$rig_ns" 2>/dev/null || true
  ip netns del "$cli_ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$rig_ns"
ip netns add "$cli_ns"
ip link add "${tag}r" type veth peer name "${tag}c"
ip link set "${tag}r" netns "$rig_ns"
ip link set "${tag}c" netns "$cli_ns"
ip -n "$rig_ns" addr add 198.18.0.1/24 dev "${tag}r"
ip -n "$cli_ns" addr add 198.18.0.2/24 dev "${tag}c"
for ns in "$rig_ns" "$cli_ns"; do
  ip -n "$ns" link set lo up
done
ip -n "$rig_ns" link set "${tag}r" up
ip -n "$cli_ns" link set "${tag}c" up

export AVATAR_DESKTOP_RIG_NETNS="$rig_ns"
export AVATAR_DESKTOP_RIG_IFACE="${tag}r"
export AVATAR_DESKTOP_RIG_HOST=198.18.0.1
export AVATAR_DESKTOP_CLIENT_HOST=198.18.0.2
set +e
ip netns exec "$cli_ns" "$@"
rc=$?
set -e
exit $rc

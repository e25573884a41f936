#!/usr/bin/env bash
# The network of one isolated Docker daemon: its bridge and its firewall rules.
# Installed on the host as /usr/local/libexec/containai/<daemon>-network and run
# by the daemon's unit (ExecStartPre before dockerd starts, ExecStartPost once
# it runs); run with `remove` on destroy. The daemon itself runs with "iptables": false, so it never
# rebuilds the DOCKER / DOCKER-ISOLATION-* chains every dockerd on a host
# shares (Docker's guidance for extra daemons). Instead this instance owns:
#
#   mangle CAI-<bridge>-ISO  (hooked first in mangle FORWARD, which runs before
#                             any filter rule, so no other ACCEPT can bypass it)
#       replies into the bridge and bridge-internal traffic pass;
#       anything else entering the bridge is dropped (the default Docker's
#       containers, other instances, the LAN);
#       leaving the bridge towards docker0 / br-* (default Docker) is dropped.
#   filter CAI-<bridge>      (hooked first in filter FORWARD)
#       accept outbound from the bridge and replies into it.
#   nat CAI-<bridge>-NAT     (hooked first in nat POSTROUTING)
#       masquerade the bridge's subnet when it leaves the bridge.
#
# Published ports work through dockerd's userland proxy (it connects from the
# host, not through FORWARD). Instances are isolated from each other because
# each one drops whatever enters its own bridge from elsewhere.
#
#   <script> start BRIDGE GATEWAY/PREFIX SUBNET/PREFIX   (unit: ExecStartPre)
#   <script> prune BRIDGE GATEWAY/PREFIX                 (unit: ExecStartPost)
#   <script> remove BRIDGE
#   <script> check BRIDGE GATEWAY/PREFIX SUBNET/PREFIX   (prints what is missing; exit 1 if any)
set -euo pipefail

cmd=${1:?usage: start|remove|check BRIDGE [GATEWAY/PREFIX SUBNET/PREFIX]}
br=${2:?bridge name}
gw=${3:-}
subnet=${4:-}
iso="CAI-$br-ISO"
fwd="CAI-$br"
nat="CAI-$br-NAT"

# The rules of this instance, in iptables-restore form: declaring a chain
# creates or empties it, and each table is replaced in one commit.
rules() {
  cat <<RULES
*mangle
:$iso - [0:0]
-A $iso -o $br -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
-A $iso -i $br -o $br -j RETURN
-A $iso -o $br -j DROP
-A $iso -i $br -o docker+ -j DROP
-A $iso -i $br -o br-+ -j DROP
COMMIT
*filter
:$fwd - [0:0]
-A $fwd -o $br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A $fwd -i $br -j ACCEPT
COMMIT
*nat
:$nat - [0:0]
-A $nat -s $subnet ! -o $br -j MASQUERADE
COMMIT
RULES
}

# Rules that name our bridge in the chains every dockerd shares (FORWARD,
# POSTROUTING, DOCKER*): what this daemon left there when it ran with iptables
# on (before this script existed). Removed on start so an upgraded host ends up
# exactly like a new one. Our own jumps (-j CAI-...) are kept.
drop_shared_rules() {
  local t rule words
  for t in filter nat; do
    iptables-save -t "$t" | grep -E "^-A (FORWARD|POSTROUTING|DOCKER[A-Z0-9-]*) (.* )?(-i|-o) $br( |$)" \
      | grep -v -- "-j CAI-" | while read -r rule; do
      read -r -a words <<< "$rule"
      words[0]=-D
      iptables -w -t "$t" "${words[@]}" || true
    done || true   # (grep finds nothing on a clean host)
  done
}

# hook TABLE CHAIN TARGET: jump from CHAIN to TARGET, first in CHAIN.
hook() {
  iptables -w -t "$1" -C "$2" -j "$3" 2>/dev/null || iptables -w -t "$1" -I "$2" 1 -j "$3"
}

unhook() {
  while iptables -w -t "$1" -C "$2" -j "$3" 2>/dev/null; do iptables -w -t "$1" -D "$2" -j "$3"; done
  iptables -w -t "$1" -F "$3" 2>/dev/null || true
  iptables -w -t "$1" -X "$3" 2>/dev/null || true
}

case "$cmd" in
  start)
    if [ -z "$gw" ] || [ -z "$subnet" ]; then echo "usage: $0 start BRIDGE GATEWAY/PREFIX SUBNET/PREFIX" >&2; exit 2; fi
    ip link show "$br" >/dev/null 2>&1 || ip link add name "$br" type bridge
    # Add the configured address, but keep an old one until dockerd is up:
    # dockerd first restores the network stored in its data-root and resets
    # the bridge to that network's address unless it is still there; with both
    # present it then elects the one inside "fixed-cidr". `prune` (the unit's
    # ExecStartPost) removes the old address once dockerd runs.
    ip -4 -o addr show dev "$br" | awk '{print $4}' | grep -qx "$gw" || ip addr add "$gw" dev "$br"
    ip link set "$br" up
    # Forwarding on (dockerd would do it; a read-only /proc/sys that is
    # already 1, as in a container, is fine).
    [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || sysctl -q -w net.ipv4.ip_forward=1
    drop_shared_rules
    rules | iptables-restore -w --noflush
    hook mangle FORWARD "$iso"
    hook filter FORWARD "$fwd"
    hook nat POSTROUTING "$nat"
    ;;
  prune)
    [ -n "$gw" ] || { echo "usage: $0 prune BRIDGE GATEWAY/PREFIX" >&2; exit 2; }
    # The configured address becomes the bridge's only IPv4 address.
    for a in $(ip -4 -o addr show dev "$br" | awk '{print $4}'); do
      [ "$a" = "$gw" ] || ip addr del "$a" dev "$br"
    done
    ;;
  remove)
    drop_shared_rules
    unhook mangle FORWARD "$iso"
    unhook filter FORWARD "$fwd"
    unhook nat POSTROUTING "$nat"
    ;;
  check)
    missing=""
    iptables -w -t mangle -C FORWARD -j "$iso" 2>/dev/null || missing="$missing mangle:FORWARD->$iso"
    iptables -w -t filter -C FORWARD -j "$fwd" 2>/dev/null || missing="$missing filter:FORWARD->$fwd"
    iptables -w -t nat -C POSTROUTING -j "$nat" 2>/dev/null || missing="$missing nat:POSTROUTING->$nat"
    # Every rule of ours, as iptables-save prints it, must be there.
    want=$(rules | grep '^-A' | sort)
    have=$(for t in mangle filter nat; do iptables-save -t "$t"; done | grep -E "^-A ($iso|$fwd|$nat) " | sort)
    [ "$want" = "$have" ] || missing="$missing rules-of:$iso,$fwd,$nat"
    shared=$(for t in filter nat; do iptables-save -t "$t"; done \
      | grep -E "^-A (FORWARD|POSTROUTING|DOCKER[A-Z0-9-]*) (.* )?(-i|-o) $br( |$)" | grep -cv -- "-j CAI-" || true)
    [ "$shared" = 0 ] || missing="$missing shared-chain-rules-naming-$br:$shared"
    if [ -n "$missing" ]; then echo "${missing# }"; exit 1; fi
    echo ok
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

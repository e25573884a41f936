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
#   mangle CAI-<bridge>-EGR  (from CAI-<bridge>-ISO for routed traffic, and from
#                             CAI-<bridge>-IN, hooked first in mangle INPUT, for
#                             traffic to the host's own addresses)
#       the agents' egress: replies pass, then the allow-list, then DNS (port
#       53); new connections to the host itself, link-local (cloud metadata
#       169.254.169.254, 169.254.170.2), 100.64.0.0/10 (100.100.100.200) and
#       the RFC 1918 ranges are dropped. Read from $EGRESS_DIR/<bridge>.egress
#       ("block yes|no", "allow CIDR tcp|udp|any PORTS|-" lines); a missing
#       file blocks (fails closed).
#   ip6tables mangle CAI-<bridge>-IN6 / -FW6: no IPv6 from the bridge to the
#       host or out of it (the daemon enables no IPv6; link-local stays on the
#       bridge).
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
egr="CAI-$br-EGR"
inp="CAI-$br-IN"
in6="CAI-$br-IN6"
fw6="CAI-$br-FW6"
egress_file="${EGRESS_DIR:-/etc/containai/network}/$br.egress"
# Where agents must not open connections to (unless allow-listed).
BLOCKED="169.254.0.0/16 100.64.0.0/10 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"

# The egress rules of this bridge's agents, from the egress file.
egress_rules() {
  local word cidr proto ports block=yes m
  echo "-A $egr -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
  if [ -f "$egress_file" ]; then
    while read -r word cidr proto ports; do
      case "$word" in
        block) block=$cidr ;;
        allow)
          m=""
          if [ "$proto" != any ]; then
            m=" -p $proto"
            if [ "$ports" != - ]; then m="$m -m multiport --dports $ports"; fi
          fi
          echo "-A $egr -d $cidr$m -j RETURN" ;;
      esac
    done < "$egress_file"
  fi
  [ "$block" = yes ] || return 0
  echo "-A $egr -p udp -m udp --dport 53 -j RETURN"
  echo "-A $egr -p tcp -m tcp --dport 53 -j RETURN"
  echo "-A $egr -m addrtype --dst-type LOCAL -j DROP"
  for cidr in $BLOCKED; do echo "-A $egr -d $cidr -j DROP"; done
}

# ip6tables with a mangle table (a host without IPv6 support has none).
have_ip6() { command -v ip6tables >/dev/null 2>&1 && ip6tables -w -t mangle -S INPUT >/dev/null 2>&1; }

rules6() {
  cat <<RULES
*mangle
:$in6 - [0:0]
:$fw6 - [0:0]
-A $in6 -i $br -j DROP
-A $fw6 -i $br ! -o $br -j DROP
COMMIT
RULES
}

# The rules of this instance, in iptables-restore form: declaring a chain
# creates or empties it, and each table is replaced in one commit.
rules() {
  cat <<RULES
*mangle
:$iso - [0:0]
:$egr - [0:0]
:$inp - [0:0]
-A $iso -o $br -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
-A $iso -i $br -o $br -j RETURN
-A $iso -o $br -j DROP
-A $iso -i $br -o docker+ -j DROP
-A $iso -i $br -o br-+ -j DROP
-A $iso -i $br -j $egr
$(egress_rules)
-A $inp -i $br -j $egr
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

hook6() {
  ip6tables -w -t "$1" -C "$2" -j "$3" 2>/dev/null || ip6tables -w -t "$1" -I "$2" 1 -j "$3"
}

# unhook TABLE CHAIN TARGET [ip6tables]: remove the jump and the chain.
unhook() {
  local ipt=${4:-iptables}
  while "$ipt" -w -t "$1" -C "$2" -j "$3" 2>/dev/null; do "$ipt" -w -t "$1" -D "$2" -j "$3"; done
  "$ipt" -w -t "$1" -F "$3" 2>/dev/null || true
  "$ipt" -w -t "$1" -X "$3" 2>/dev/null || true
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
    hook mangle INPUT "$inp"
    hook filter FORWARD "$fwd"
    hook nat POSTROUTING "$nat"
    if have_ip6; then
      rules6 | ip6tables-restore -w --noflush
      hook6 mangle INPUT "$in6"
      hook6 mangle FORWARD "$fw6"
    fi
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
    unhook mangle INPUT "$inp"
    unhook mangle FORWARD "$iso"
    # (Emptied by the ISO chain's removal; no jump to it is left.)
    iptables -w -t mangle -F "$egr" 2>/dev/null || true
    iptables -w -t mangle -X "$egr" 2>/dev/null || true
    unhook filter FORWARD "$fwd"
    unhook nat POSTROUTING "$nat"
    if have_ip6; then
      unhook mangle INPUT "$in6" ip6tables
      unhook mangle FORWARD "$fw6" ip6tables
    fi
    ;;
  check)
    missing=""
    iptables -w -t mangle -C FORWARD -j "$iso" 2>/dev/null || missing="$missing mangle:FORWARD->$iso"
    iptables -w -t mangle -C INPUT -j "$inp" 2>/dev/null || missing="$missing mangle:INPUT->$inp"
    iptables -w -t filter -C FORWARD -j "$fwd" 2>/dev/null || missing="$missing filter:FORWARD->$fwd"
    iptables -w -t nat -C POSTROUTING -j "$nat" 2>/dev/null || missing="$missing nat:POSTROUTING->$nat"
    # Every rule of ours, as iptables-save prints it, must be there.
    want=$(rules | grep '^-A' | sort)
    have=$(for t in mangle filter nat; do iptables-save -t "$t"; done | grep -E "^-A ($iso|$egr|$inp|$fwd|$nat) " | sort)
    [ "$want" = "$have" ] || missing="$missing rules-of:$iso,$egr,$inp,$fwd,$nat"
    if have_ip6; then
      ip6tables -w -t mangle -C INPUT -j "$in6" 2>/dev/null || missing="$missing ip6-mangle:INPUT->$in6"
      ip6tables -w -t mangle -C FORWARD -j "$fw6" 2>/dev/null || missing="$missing ip6-mangle:FORWARD->$fw6"
      want=$(rules6 | grep '^-A' | sort)
      have=$(ip6tables-save -t mangle | grep -E "^-A ($in6|$fw6) " | sort)
      [ "$want" = "$have" ] || missing="$missing rules-of:$in6,$fw6"
    fi
    shared=$(for t in filter nat; do iptables-save -t "$t"; done \
      | grep -E "^-A (FORWARD|POSTROUTING|DOCKER[A-Z0-9-]*) (.* )?(-i|-o) $br( |$)" | grep -cv -- "-j CAI-" || true)
    [ "$shared" = 0 ] || missing="$missing shared-chain-rules-naming-$br:$shared"
    if [ -n "$missing" ]; then echo "${missing# }"; exit 1; fi
    echo ok
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac

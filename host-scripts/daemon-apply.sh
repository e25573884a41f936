#!/usr/bin/env bash
# Converge one isolated dockerd instance: validate the new daemon.json and unit
# BEFORE touching the running daemon, swap them in, restart only when content
# changed (or the daemon is down), wait for health, and roll back to the last
# good files if the daemon does not come back (it keeps serving; we exit 4).
#
# Every file is replaced atomically (temp + fsync + rename), rollback included.
#
# Env: DAEMON_NAME UNIT_NAME CONFIG_FILE SOCKET SOCKET_GROUP DATA_ROOT
#      EXPECT_RUNTIME DOCKERD DAEMON_JSON UNIT_TEXT OPERATOR_USER
#      NETWORK_SCRIPT NETWORK_SCRIPT_PATH (the bridge/firewall script the unit runs)
#      EGRESS EGRESS_FILE (the agents' egress policy that script reads)
#      BRIDGE BRIDGE_GW BRIDGE_SUBNET
#      ROOTFS_GUARD ROOTFS_GUARD_PATH GUARD_UNIT_NAME GUARD_UNIT_TEXT (the
#      agents' rootfs guard and the oneshot that runs it before the daemon
#      starts: installed and enabled without restarting the daemon)
# A change of the network script or the egress policy alone re-applies the
# firewall on the running daemon: dockerd and its agents are not restarted.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock

unit_path="/etc/systemd/system/$UNIT_NAME"
state="$CONTAINAI_STATE/daemons/$DAEMON_NAME"
stage="/run/containai/staging/$DAEMON_NAME"
mkdir -p "$state" "$stage" "$(dirname "$CONFIG_FILE")"

# Keep any file that was here before us, to restore on destroy.
for f in "$CONFIG_FILE" "$unit_path"; do
  key=$(echo "$f" | tr '/' '_')
  if [ -f "$f" ] && [ ! -f "$state/managed$key" ] && [ ! -f "$state/orig$key" ]; then
    atomic_install "$f" "$state/orig$key" "$(stat -c %a "$f")"
  fi
done

write_text "$stage/daemon.json" "$DAEMON_JSON"
write_text "$stage/$UNIT_NAME" "$UNIT_TEXT"
write_text "$stage/network" "$NETWORK_SCRIPT" 0755
write_text "$stage/egress" "$EGRESS" 0644
write_text "$stage/rootfs-guard" "$ROOTFS_GUARD" 0755
write_text "$stage/$GUARD_UNIT_NAME" "$GUARD_UNIT_TEXT" 0644

# --- validation (nothing running is touched yet) -------------------------
if "$DOCKERD" --help 2>&1 | grep -q -- '--validate'; then
  if ! out=$("$DOCKERD" --validate --config-file="$stage/daemon.json" 2>&1); then
    die "daemon.json for $DAEMON_NAME rejected by dockerd --validate: $out" 5
  fi
else
  # Engines before Docker 23 have no --validate: check syntax and keys.
  command -v jq >/dev/null 2>&1 || apt_install jq
  jq -e 'type == "object"' "$stage/daemon.json" >/dev/null 2>&1 \
    || die "daemon.json for $DAEMON_NAME is not a JSON object" 5
  known=" hosts group data-root exec-root pidfile bridge bip containerd containerd-namespace containerd-plugins-namespace runtimes default-runtime storage-driver storage-opts log-driver log-opts log-level debug iptables ip-forward ip-masq ipv6 fixed-cidr default-address-pools mtu dns dns-opts dns-search live-restore max-concurrent-downloads max-concurrent-uploads registry-mirrors insecure-registries userland-proxy icc default-ulimits features experimental init seccomp-profile selinux-enabled no-new-privileges shutdown-timeout cgroup-parent exec-opts labels tls tlsverify tlscacert tlscert tlskey userns-remap oom-score-adjust deprecated-key-path "
  for k in $(jq -r 'keys[]' "$stage/daemon.json"); do
    case "$known" in *" $k "*) ;; *) die "daemon.json for $DAEMON_NAME has unknown key '$k' (this dockerd has no --validate)" 5 ;; esac
  done
fi
# The unit runs the network script: on a first install it must exist for
# systemd-analyze to accept the unit (nothing uses it before the swap below).
[ -e "$NETWORK_SCRIPT_PATH" ] || atomic_install "$stage/network" "$NETWORK_SCRIPT_PATH" 0755
if command -v systemd-analyze >/dev/null 2>&1; then
  # The guard is checked where it will be: systemd-analyze needs its ExecStart to exist.
  [ -e "$ROOTFS_GUARD_PATH" ] || atomic_install "$stage/rootfs-guard" "$ROOTFS_GUARD_PATH" 0755
  if ! out=$(systemd-analyze verify "$stage/$GUARD_UNIT_NAME" 2>&1); then
    die "unit $GUARD_UNIT_NAME rejected by systemd-analyze verify: $out" 5
  fi
  if ! out=$(systemd-analyze verify "$stage/$UNIT_NAME" 2>&1); then
    die "unit $UNIT_NAME rejected by systemd-analyze verify: $out" 5
  fi
  if echo "$out" | grep -qi 'unknown key\|unknown section\|invalid'; then
    die "unit $UNIT_NAME: systemd-analyze verify reported: $out" 5
  fi
fi

# --- swap, only when something changed ------------------------------------
# dockerd restarts only for its own files; the network script and the egress
# policy are re-applied to the running daemon (below).
changed=0
cmp -s "$stage/daemon.json" "$CONFIG_FILE" 2>/dev/null || changed=1
cmp -s "$stage/$UNIT_NAME" "$unit_path" 2>/dev/null || changed=1
net_changed=0
cmp -s "$stage/network" "$NETWORK_SCRIPT_PATH" 2>/dev/null || net_changed=1
cmp -s "$stage/egress" "$EGRESS_FILE" 2>/dev/null || net_changed=1
if [ "$net_changed" = 1 ]; then
  if [ -f "$NETWORK_SCRIPT_PATH" ]; then atomic_install "$NETWORK_SCRIPT_PATH" "$NETWORK_SCRIPT_PATH.containai-last-good" 0755; fi
  mkdir -p "$(dirname "$EGRESS_FILE")"
  atomic_install "$stage/egress" "$EGRESS_FILE" 0644
  atomic_install "$stage/network" "$NETWORK_SCRIPT_PATH" 0755
fi
# The rootfs guard: its own oneshot, which the daemon's unit wants and waits
# for; installed or changed without restarting the daemon (it runs at the
# daemon's next start).
guard_unit_path="/etc/systemd/system/$GUARD_UNIT_NAME"
cmp -s "$stage/rootfs-guard" "$ROOTFS_GUARD_PATH" 2>/dev/null || atomic_install "$stage/rootfs-guard" "$ROOTFS_GUARD_PATH" 0755
if ! cmp -s "$stage/$GUARD_UNIT_NAME" "$guard_unit_path" 2>/dev/null; then
  atomic_install "$stage/$GUARD_UNIT_NAME" "$guard_unit_path" 0644
  systemctl daemon-reload
fi
[ "$(systemctl is-enabled "$GUARD_UNIT_NAME" 2>/dev/null || true)" = enabled ] || systemctl enable "$GUARD_UNIT_NAME" >/dev/null 2>&1
getent group "$SOCKET_GROUP" >/dev/null || groupadd --system "$SOCKET_GROUP"
if [ -n "${OPERATOR_USER:-}" ] && [ "$OPERATOR_USER" != root ] && id "$OPERATOR_USER" >/dev/null 2>&1; then
  id -nG "$OPERATOR_USER" | tr ' ' '\n' | grep -qx "$SOCKET_GROUP" || usermod -aG "$SOCKET_GROUP" "$OPERATOR_USER"
fi
mkdir -p "$DATA_ROOT"

healthy() {
  [ -S "$SOCKET" ] || return 1
  rt=$(timeout 10 docker -H "unix://$SOCKET" info --format '{{.DefaultRuntime}}' 2>/dev/null) || return 1
  [ "$rt" = "$EXPECT_RUNTIME" ]
}
wait_healthy() {
  for _ in $(seq 1 90); do
    healthy && return 0
    # Restart=on-failure retries a few times, then systemd gives up: stop waiting.
    [ "$(systemctl show -p ActiveState --value "$UNIT_NAME")" = failed ] && return 1
    sleep 1
  done
  return 1
}

if [ "$changed" = 1 ]; then
  for f in "$CONFIG_FILE" "$unit_path"; do
    if [ -f "$f" ]; then atomic_install "$f" "$f.containai-last-good" "$(stat -c %a "$f")"; fi
  done
  atomic_install "$stage/daemon.json" "$CONFIG_FILE" 0644
  atomic_install "$stage/$UNIT_NAME" "$unit_path" 0644
  for f in "$CONFIG_FILE" "$unit_path"; do touch "$state/managed$(echo "$f" | tr '/' '_')"; done
  systemctl daemon-reload
  systemctl enable "$UNIT_NAME" >/dev/null 2>&1
  systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
  systemctl restart "$UNIT_NAME" || true
  if ! wait_healthy; then
    reason=$(journalctl -u "$UNIT_NAME" -n 15 --no-pager -o cat 2>/dev/null | tail -n 15)
    if [ -f "$CONFIG_FILE.containai-last-good" ] && [ -f "$unit_path.containai-last-good" ]; then
      atomic_install "$CONFIG_FILE.containai-last-good" "$CONFIG_FILE" 0644
      atomic_install "$unit_path.containai-last-good" "$unit_path" 0644
      if [ "$net_changed" = 1 ] && [ -f "$NETWORK_SCRIPT_PATH.containai-last-good" ]; then
        atomic_install "$NETWORK_SCRIPT_PATH.containai-last-good" "$NETWORK_SCRIPT_PATH" 0755
      fi
      systemctl daemon-reload
      systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
      systemctl restart "$UNIT_NAME" || true
      if wait_healthy; then
        die "$DAEMON_NAME did not become healthy with the new configuration; ROLLED BACK to the last good configuration, which is serving again. dockerd said: $reason" 4
      fi
      die "$DAEMON_NAME did not become healthy with the new configuration, and the rollback did not recover it either. dockerd said: $reason" 4
    fi
    die "$DAEMON_NAME did not become healthy (no earlier configuration to roll back to). dockerd said: $reason" 4
  fi
  echo "daemon $DAEMON_NAME: configuration applied and restarted" >&2
else
  systemctl enable "$UNIT_NAME" >/dev/null 2>&1
  # Same files: still put the bridge address and our firewall chains back if
  # they drifted (idempotent; dockerd keeps running).
  if [ "$(systemctl is-active "$UNIT_NAME" 2>/dev/null || true)" = active ]; then
    "$NETWORK_SCRIPT_PATH" start "$BRIDGE" "$BRIDGE_GW" "$BRIDGE_SUBNET"
    "$NETWORK_SCRIPT_PATH" prune "$BRIDGE" "$BRIDGE_GW"
  fi
  if ! healthy; then
    systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
    systemctl restart "$UNIT_NAME" || true
    wait_healthy || die "$DAEMON_NAME is not healthy: $(journalctl -u "$UNIT_NAME" -n 15 --no-pager -o cat 2>/dev/null | tail -n 15)" 4
    echo "daemon $DAEMON_NAME: was down; started" >&2
  else
    echo "daemon $DAEMON_NAME: unchanged" >&2
  fi
fi

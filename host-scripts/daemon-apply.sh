#!/usr/bin/env bash
# Converge one isolated dockerd instance: validate the new daemon.json and unit
# BEFORE touching the running daemon, swap them in, restart only when content
# changed (or the daemon is down), wait for health, and roll back to the last
# good files if the daemon does not come back (it keeps serving; we exit 4).
#
# Env: DAEMON_NAME UNIT_NAME CONFIG_FILE SOCKET SOCKET_GROUP DATA_ROOT
#      EXPECT_RUNTIME DOCKERD DAEMON_JSON_B64 UNIT_B64 OPERATOR_USER
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"

unit_path="/etc/systemd/system/$UNIT_NAME"
state="$CONTAINAI_STATE/daemons/$DAEMON_NAME"
stage="/run/containai/staging/$DAEMON_NAME"
mkdir -p "$state" "$stage" "$(dirname "$CONFIG_FILE")"

# Keep any file that was here before us, to restore on destroy.
for f in "$CONFIG_FILE" "$unit_path"; do
  key=$(echo "$f" | tr '/' '_')
  if [ -f "$f" ] && [ ! -f "$state/managed$key" ] && [ ! -f "$state/orig$key" ]; then
    cp -p "$f" "$state/orig$key"
  fi
done

write_b64 "$stage/daemon.json" "$DAEMON_JSON_B64"
write_b64 "$stage/$UNIT_NAME" "$UNIT_B64"

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
if command -v systemd-analyze >/dev/null 2>&1; then
  if ! out=$(systemd-analyze verify "$stage/$UNIT_NAME" 2>&1); then
    die "unit $UNIT_NAME rejected by systemd-analyze verify: $out" 5
  fi
  if echo "$out" | grep -qi 'unknown key\|unknown section\|invalid'; then
    die "unit $UNIT_NAME: systemd-analyze verify reported: $out" 5
  fi
fi

# --- swap, only when something changed ------------------------------------
changed=0
cmp -s "$stage/daemon.json" "$CONFIG_FILE" 2>/dev/null || changed=1
cmp -s "$stage/$UNIT_NAME" "$unit_path" 2>/dev/null || changed=1
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
    [ -f "$f" ] && cp -p "$f" "$f.containai-last-good"
  done
  install -m 0644 "$stage/daemon.json" "$CONFIG_FILE"
  install -m 0644 "$stage/$UNIT_NAME" "$unit_path"
  for f in "$CONFIG_FILE" "$unit_path"; do touch "$state/managed$(echo "$f" | tr '/' '_')"; done
  systemctl daemon-reload
  systemctl enable "$UNIT_NAME" >/dev/null 2>&1
  systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
  systemctl restart "$UNIT_NAME" || true
  if ! wait_healthy; then
    reason=$(journalctl -u "$UNIT_NAME" -n 15 --no-pager -o cat 2>/dev/null | tail -n 15)
    if [ -f "$CONFIG_FILE.containai-last-good" ] && [ -f "$unit_path.containai-last-good" ]; then
      cp -p "$CONFIG_FILE.containai-last-good" "$CONFIG_FILE"
      cp -p "$unit_path.containai-last-good" "$unit_path"
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
  if ! healthy; then
    systemctl reset-failed "$UNIT_NAME" >/dev/null 2>&1 || true
    systemctl restart "$UNIT_NAME" || true
    wait_healthy || die "$DAEMON_NAME is not healthy: $(journalctl -u "$UNIT_NAME" -n 15 --no-pager -o cat 2>/dev/null | tail -n 15)" 4
    echo "daemon $DAEMON_NAME: was down; started" >&2
  else
    echo "daemon $DAEMON_NAME: unchanged" >&2
  fi
fi

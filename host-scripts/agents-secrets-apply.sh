#!/usr/bin/env bash
# Deliver each agent's secrets of one daemon as files in its /run/secrets (a
# tmpfs inside the agent: never on the host's disk, never in the container's
# configuration, so not in `docker inspect`), owned by the agent user, 0400,
# and keep them there across container restarts.
#
# The daemon's secrets go to STORE, a root-only 0600 file on the host's /run
# (a tmpfs: refused otherwise), which the daemon's secrets watcher
# (host-scripts/secrets-watch.sh, run by WATCH_UNIT_NAME) reads to put them
# back whenever an agent's container starts again. The watcher is also what
# writes them now (`deliver`): one home for writing into an agent.
# Env: SOCKET; SECRETS lines "agent container uid name base64-value" (secret);
#      STORE; WATCH WATCH_PATH (the watcher script and where it goes);
#      WATCH_UNIT_NAME WATCH_UNIT_TEXT;
#      CONTAINER_IDS (not read: it changes when a container is re-created, so the step runs again)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock

store_dir=$(dirname "$STORE")
mkdir -p "$store_dir"
chmod 0700 "$store_dir"
fs=$(findmnt -no FSTYPE -T "$store_dir" 2>/dev/null || true)
[ "$fs" = tmpfs ] || die "$store_dir is on ${fs:-an unknown file system}, not a tmpfs: agents' secrets are kept on the host only in memory (systemd mounts /run as a tmpfs); nothing was written"

# The store: written in its own directory (never through /tmp), 0600, renamed into place.
tmp=$(umask 077 && mktemp "$store_dir/.store.XXXXXX")
printf '%s\n' "$SECRETS" > "$tmp"
mv -f "$tmp" "$STORE"

# The watcher and its unit; a changed script or unit restarts it (it holds no state).
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
printf '%s' "$WATCH" > "$stage/watch"
printf '%s' "$WATCH_UNIT_TEXT" > "$stage/unit"
unit_path="/etc/systemd/system/$WATCH_UNIT_NAME"
changed=0
cmp -s "$stage/watch" "$WATCH_PATH" 2>/dev/null || { atomic_install "$stage/watch" "$WATCH_PATH" 0755; changed=1; }
if ! cmp -s "$stage/unit" "$unit_path" 2>/dev/null; then
  atomic_install "$stage/unit" "$unit_path" 0644
  systemctl daemon-reload
  changed=1
fi
[ "$(systemctl is-enabled "$WATCH_UNIT_NAME" 2>/dev/null || true)" = enabled ] || systemctl enable "$WATCH_UNIT_NAME" >/dev/null 2>&1
if [ "$changed" = 1 ]; then systemctl restart "$WATCH_UNIT_NAME"; else systemctl start "$WATCH_UNIT_NAME"; fi

"$WATCH_PATH" deliver "$SOCKET" "$STORE" || die "the agents' secrets were not all delivered (above)"

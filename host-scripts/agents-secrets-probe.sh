#!/usr/bin/env bash
# Whether each agent of one daemon has exactly its configured secrets as
# files in its /run/secrets (a tmpfs inside the agent), owned by the agent
# user, mode 0400 (key=value lines): <agent>.secrets=ok, or what differs.
# Values are compared by sha256 here on the host; none is printed. And
# whether the daemon's secrets watcher can put them back after a restart:
# watcher=ok, or what is wrong (its unit, script, or the host's copy).
# Env: SOCKET; SECRETS lines "agent container uid name base64-value" (secret);
#      STORE; WATCH WATCH_PATH WATCH_UNIT_NAME WATCH_UNIT_TEXT (agents-secrets-apply.sh)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
dk() { docker -H "unix://$SOCKET" "$@"; }

for agent in $(printf '%s\n' "${SECRETS:-}" | awk 'NF {print $1}' | sort -u); do
  container=$(printf '%s\n' "$SECRETS" | awk -v a="$agent" '$1 == a {print $2; exit}')
  uid=$(printf '%s\n' "$SECRETS" | awk -v a="$agent" '$1 == a {print $3; exit}')
  # One exec per agent: "<sha256> <owner> <mode> <name>" for every file, and our manifest.
  # shellcheck disable=SC2016 # expanded inside the agent
  seen=$(dk exec -u 0 "$container" sh -c 'cd /run/secrets 2>/dev/null || exit 0
    for f in * .containai-managed; do [ -f "$f" ] || continue
      printf "%s %s %s %s\n" "$(sha256sum < "$f" | cut -c1-64)" "$(stat -c %u "$f")" "$(stat -c %a "$f")" "$f"; done' 2>/dev/null) \
    || { echo "$agent.secrets=unreadable (container $container not running?)"; continue; }
  problems=""
  while read -r a _c _u name b64; do
    [ "$a" = "$agent" ] || continue
    want=$(printf '%s' "$b64" | base64 -d | sha256sum | cut -c1-64)
    line=$(printf '%s\n' "$seen" | awk -v n="$name" '$4 == n')
    if [ -z "$line" ]; then problems="$problems missing:$name"
    elif [ "$(echo "$line" | cut -d' ' -f1)" != "$want" ]; then problems="$problems changed:$name"
    elif [ "$(echo "$line" | cut -d' ' -f2-3)" != "$uid 400" ]; then problems="$problems owner-or-mode:$name"
    fi
  done <<< "$SECRETS"
  echo "$agent.secrets=${problems:+${problems# }}${problems:-ok}"
done

if [ -n "${WATCH_UNIT_NAME:-}" ]; then
  w=""
  [ "$(systemctl is-active "$WATCH_UNIT_NAME" 2>/dev/null || true)" = active ] || w="$w $WATCH_UNIT_NAME not active"
  cmp -s <(printf '%s' "$WATCH_UNIT_TEXT") "/etc/systemd/system/$WATCH_UNIT_NAME" 2>/dev/null || w="$w unit changed"
  cmp -s <(printf '%s' "$WATCH") "$WATCH_PATH" 2>/dev/null || w="$w $WATCH_PATH changed"
  if [ ! -f "$STORE" ]; then w="$w host copy missing (a reboot empties /run)"
  elif ! cmp -s <(printf '%s\n' "$SECRETS") "$STORE"; then w="$w host copy changed"
  elif [ "$(stat -c '%u %a' "$STORE")" != "0 600" ]; then w="$w host copy owner-or-mode"
  fi
  echo "watcher=${w:+${w# }}${w:-ok}"
fi

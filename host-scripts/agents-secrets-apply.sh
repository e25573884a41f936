#!/usr/bin/env bash
# Deliver each agent's secrets of one daemon as files in its /run/secrets (a
# tmpfs inside the agent: never on the host's disk, never in the container's
# configuration, so not in `docker inspect`), owned by the agent user, 0400.
# A value travels on the exec's stdin, never in an argument. Each file is
# replaced atomically; files of ours that are no longer configured go.
# Env: SOCKET; SECRETS lines "agent container uid name base64-value" (secret);
# CONTAINER_IDS (not read: it changes when a container is re-created, so the step runs again)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }

# The helper that runs inside the agent (as root there): write one file, or prune.
# shellcheck disable=SC2016 # expanded inside the agent
put='set -eu; d=/run/secrets; mkdir -p "$d"; chmod 0755 "$d"; umask 0277
  t="$d/.containai-tmp.$1"; cat > "$t"; chown "$2:$2" "$t"; chmod 0400 "$t"; mv -f "$t" "$d/$1"'
# shellcheck disable=SC2016
prune='set -eu; d=/run/secrets; [ -d "$d" ] || exit 0; m="$d/.containai-managed"
  if [ -f "$m" ]; then while read -r n; do
    case " $* " in *" $n "*) ;; *) rm -f "$d/$n" ;; esac
  done < "$m"; fi
  umask 0277; printf "%s\n" "$@" > "$m.tmp"; mv -f "$m.tmp" "$m"'

for agent in $(printf '%s\n' "${SECRETS:-}" | awk 'NF {print $1}' | sort -u); do
  container=$(printf '%s\n' "$SECRETS" | awk -v a="$agent" '$1 == a {print $2; exit}')
  [ "$(dk inspect --type container -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ] \
    || die "agent $agent: its container is not running, so its secrets cannot be delivered; run \`pulumi up --refresh\`"
  names=()
  while read -r a _c uid name b64; do
    [ "$a" = "$agent" ] || continue
    names+=("$name")
    printf '%s' "$b64" | base64 -d | dk exec -i -u 0 "$container" sh -c "$put" _ "$name" "$uid" \
      || die "agent $agent: writing secret $name into /run/secrets failed"
  done <<< "$SECRETS"
  dk exec -u 0 "$container" sh -c "$prune" _ "${names[@]}" || die "agent $agent: pruning /run/secrets failed"
  echo "agent $agent: ${#names[@]} secret(s) in /run/secrets" >&2
done

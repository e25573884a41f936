#!/usr/bin/env bash
# Whether the agents' containers of one daemon run (key=value lines):
# <container>.running=yes|no|missing. One docker CLI call.
# Env: SOCKET; CONTAINERS lines "name id"
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
names=$(printf '%s\n' "${CONTAINERS:-}" | awk 'NF {print $1}')
# A missing container makes inspect fail after printing the others.
states=$(printf '%s\n' "$names" | xargs -r docker -H "unix://$SOCKET" inspect --type container \
  -f '{{.Name}} {{.State.Running}}' 2>/dev/null | sed 's#^/##' || true)
for n in $names; do
  case "$(printf '%s\n' "$states" | awk -v n="$n" '$1 == n {print $2}')" in
    true) echo "$n.running=yes" ;;
    "") echo "$n.running=missing" ;;
    *) echo "$n.running=no" ;;
  esac
done

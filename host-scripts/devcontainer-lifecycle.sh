#!/usr/bin/env bash
# Runs INSIDE an agent built from a devcontainer.json, from two systemd units
# of its image (components/render/devcontainer.ts):
#
#   devcontainer-lifecycle create   onCreateCommand, updateContentCommand,
#                                   postCreateCommand: once per container
#   devcontainer-lifecycle start    postStartCommand: at every start
#
# Each phase is a script the layer rendered (/etc/containai/devcontainer/
# <phase>.sh), run as the remote user in the workspace folder, with the
# container's environment (containerEnv) and the login environment
# (remoteEnv). A failed phase stops the ones after it (the spec's rule) and
# fails its unit, which the health check names. Output goes to the journal.
# "Once per container" is a marker in the container's own filesystem: kept
# across restarts, gone with a re-created container (whose volumes stay).
# Both first write the container's environment (PID 1's: containerEnv and
# agents[i].env) to $run/environment, which login shells read through
# /etc/profile.d/containai-devcontainer.sh: sshd starts sessions without it.
set -euo pipefail
conf=/etc/containai/devcontainer
state=/var/lib/containai-devcontainer
run=/run/containai-devcontainer
# shellcheck disable=SC1091
. "$conf/settings"   # REMOTE_USER, WORKDIR
home=$(getent passwd "$REMOTE_USER" | cut -d: -f6)

# The container's environment is PID 1's; a unit's is systemd's own.
envs=()
while IFS= read -r -d '' kv; do
  case "$kv" in HOME=*|USER=*|LOGNAME=*|SHELL=*|container=*) ;; *) envs+=("$kv") ;; esac
done < /proc/1/environ
envs+=("HOME=$home" "USER=$REMOTE_USER" "LOGNAME=$REMOTE_USER" "SHELL=/bin/bash")
case " ${envs[*]} " in *" PATH="*) ;; *) envs+=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") ;; esac

# The container's environment for login shells (not HOME, USER and the like:
# a login sets its own), written atomically.
mkdir -p "$run"
tmp=$(mktemp "$run/.environment.XXXXXX")
for kv in "${envs[@]}"; do
  name=${kv%%=*}
  case "$name" in HOME|USER|LOGNAME|SHELL|PATH) continue ;; esac
  [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
  # POSIX single quotes (any shell may read it): ' becomes '\''
  value=${kv#*=}
  printf "export %s='%s'\n" "$name" "${value//\'/\'\\\'\'}" >> "$tmp"
done
chmod 0644 "$tmp"
mv -f "$tmp" "$run/environment"

run_phase() {
  local phase=$1 dir=$WORKDIR
  [ -f "$conf/$phase.sh" ] || return 0
  [ -d "$dir" ] || dir=$home
  echo "devcontainer: $phase (as $REMOTE_USER in $dir)"
  if ! (cd "$dir" && runuser -u "$REMOTE_USER" -- env -i "${envs[@]}" /bin/bash "$conf/$phase.sh"); then
    echo "devcontainer: $phase FAILED; the commands after it were not run" >&2
    return 1
  fi
}

case "${1:-}" in
  create)
    if [ -e "$state/created" ]; then
      echo "devcontainer: create commands already ran for this container ($(cat "$state/created"))"
      exit 0
    fi
    for phase in onCreateCommand updateContentCommand postCreateCommand; do run_phase "$phase"; done
    mkdir -p "$state"
    date -u +%Y-%m-%dT%H:%M:%SZ > "$state/.created" && mv "$state/.created" "$state/created"
    ;;
  start)
    run_phase postStartCommand
    ;;
  *) echo "usage: devcontainer-lifecycle create|start" >&2; exit 2 ;;
esac

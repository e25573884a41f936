#!/usr/bin/env bash
# The agents' backups, with restic (docs/agents.md, "Backups and restore").
#
# Installed on the host as /usr/local/libexec/containai/containai-backup by
# the backup step, run by containai-backup.timer (through its service):
#   containai-backup run [AGENT...]   back up each agent (default: all), then
#                                     apply the retention; one status file each
#   containai-backup check            the repository answers with this password
#                                     (created when it does not exist yet)
#   containai-backup status           "<agent>.backup=ok" or what is wrong, per
#                                     agent (read-only; the backup step's probe)
#   containai-backup snapshots AGENT [restic flags]  the agent's snapshots
#   containai-backup restore AGENT [SNAPSHOT|latest] [PATH]
#                                     stop the agent, restore its data (or only
#                                     PATH, a host path inside it) from the
#                                     snapshot, start it again
# Files (the backup step writes them):
#   $CONF/env     RESTIC_REPOSITORY, RESTIC_PASSWORD, the repository's own
#                 variables, CONTAINAI_KEEP "daily weekly monthly",
#                 CONTAINAI_SCHEDULE (root, 0600)
#   $CONF/agents  "agent socket container workspace|- home|- docker(0|1)" lines
#   $STATE/<agent>.status  "ok EPOCH SNAPSHOT" or "failed EPOCH reason"
#   $STATE/since  when backups were set up (a first run is not late before then)
set -euo pipefail
CONF=${CONTAINAI_BACKUP_CONF:-/etc/containai/backup}
# The settings to use (the backup step checks new ones before they replace these).
ENV_FILE=${CONTAINAI_BACKUP_ENV:-$CONF/env}
STATE=${CONTAINAI_BACKUP_STATE:-/var/lib/containai/backup}
LOCK=${CONTAINAI_BACKUP_LOCK:-/run/containai-backup.lock}

say() { echo "containai-backup: $*" >&2; }
die() { say "$*"; exit 1; }

# The env file: NAME=value lines, read literally (never evaluated by a shell).
load_env() {
  local line
  [ -r "$ENV_FILE" ] || die "no $ENV_FILE (run \`pulumi up\`: the backup step writes it)"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ "$line" =~ ^[A-Z_][A-Z0-9_]*= ]] || continue
    export "${line%%=*}=${line#*=}"
  done < "$ENV_FILE"
}

agent_line() { awk -v a="$1" '$1 == a' "$CONF/agents"; }

# The host paths of one agent's data, one per line, from its agents line.
agent_paths() {   # line
  local _a sock _c ws home docker v
  read -r _a sock _c ws home docker <<< "$1"
  [ "$ws" = - ] || echo "$ws"
  if [ "$home" != - ]; then docker -H "unix://$sock" volume inspect -f '{{.Mountpoint}}' "$home"; fi
  if [ "$docker" = 1 ]; then
    for v in docker containerd snapshots; do
      docker -H "unix://$sock" volume inspect -f '{{.Mountpoint}}' "containai-$_a-$v" 2>/dev/null || true
    done
  fi
}

# The repository answers with this password; it is created when there is
# none. Otherwise says why (REPO_WHY) and returns 1.
REPO_WHY=""
repo_check() {
  local err
  if err=$(restic cat config 2>&1 >/dev/null); then return 0; fi
  case "$err" in
    *"wrong password"*) REPO_WHY="the repository $RESTIC_REPOSITORY refused the password (containai:backup.password): $(tail -1 <<< "$err")" ;;
    # restic says "Is there a repository ...?" both when there is none and when it cannot reach it.
    *"Is there a repository at the following location?"*)
      if grep -q -e "connection refused" -e "no such host" -e "i/o timeout" -e "dial tcp" <<< "$err"; then
        REPO_WHY="the repository $RESTIC_REPOSITORY cannot be reached: $(head -1 <<< "$err" | cut -c1-200)"
      else
        say "no repository at $RESTIC_REPOSITORY yet: creating it"
        restic init >/dev/null 2>&1 && return 0
        REPO_WHY="restic init of $RESTIC_REPOSITORY failed"
      fi ;;
    *) REPO_WHY="the repository $RESTIC_REPOSITORY cannot be read: $(tail -3 <<< "$err" | tr '\n' ' ' | cut -c1-200)" ;;
  esac
  say "$REPO_WHY"
  return 1
}

write_status() {   # agent text
  mkdir -p "$STATE"
  printf '%s\n' "$2" > "$STATE/.$1.status.tmp"
  mv -f "$STATE/.$1.status.tmp" "$STATE/$1.status"
}

backup_one() {   # agent
  local line sock container docker paths out snap paused=0 rc=0 keep
  line=$(agent_line "$1")
  [ -n "$line" ] || { say "agent $1 is not backed up on this host"; return 1; }
  read -r _ sock container _ _ docker <<< "$line"
  mapfile -t paths < <(agent_paths "$line")
  [ "${#paths[@]}" -gt 0 ] || { write_status "$1" "failed $(date +%s) nothing to back up"; return 1; }
  # The inner-Docker volumes are read with the agent paused (a consistent copy; its processes wait).
  if [ "$docker" = 1 ] && [ "$(docker -H "unix://$sock" inspect -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ]; then
    docker -H "unix://$sock" pause "$container" >/dev/null && paused=1
  fi
  out=$(restic backup --json --tag containai --tag "agent=$1" --host "$(hostname)" "${paths[@]}" 2>&1) || rc=$?
  if [ "$paused" = 1 ]; then docker -H "unix://$sock" unpause "$container" >/dev/null || say "agent $1: unpause failed"; fi
  snap=$(grep -o '"snapshot_id":"[0-9a-f]*"' <<< "$out" | tail -1 | cut -d'"' -f4 || true)
  # restic exits 3 when some files could not be read: the snapshot exists, the run counts as failed.
  if [ "$rc" != 0 ] || [ -z "$snap" ]; then
    write_status "$1" "failed $(date +%s) restic backup exited $rc: $(grep -v '^{' <<< "$out" | tail -1 | tr -d '\n' | cut -c1-200)"
    say "agent $1: backup failed (exit $rc)"
    return 1
  fi
  read -r -a keep <<< "${CONTAINAI_KEEP:-7 4 6}"
  if ! restic forget -q --tag "agent=$1" --group-by tags --keep-daily "${keep[0]}" --keep-weekly "${keep[1]}" \
      --keep-monthly "${keep[2]}" --prune >/dev/null 2>&1; then
    say "agent $1: backed up ($snap), but the retention (forget --prune) failed"
  fi
  write_status "$1" "ok $(date +%s) ${snap:0:8}"
  say "agent $1: snapshot ${snap:0:8} (${paths[*]})"
}

# Seconds between two runs of the schedule (systemd's own reading of it).
interval() {
  local a b
  mapfile -t t < <(systemd-analyze calendar --iterations=2 "$CONTAINAI_SCHEDULE" 2>/dev/null \
    | sed -n 's/^ *\(Next elapse\|Iter\. #2\): [A-Za-z]* \(.*\)$/\2/p')
  [ "${#t[@]}" = 2 ] || { echo 86400; return; }
  a=$(date -d "${t[0]}" +%s) b=$(date -d "${t[1]}" +%s)
  echo $(( b - a ))
}

status() {
  local agent now since iv st epoch rest
  load_env
  now=$(date +%s)
  since=$(cat "$STATE/since" 2>/dev/null || echo "$now")
  iv=$(interval)
  while read -r agent _; do
    [ -n "$agent" ] || continue
    if [ ! -f "$STATE/$agent.status" ]; then
      # None yet: late once two runs of the schedule have passed since it was set up.
      if [ $(( now - since )) -gt $(( 2 * iv )) ]; then echo "$agent.backup=never, though set up $(( (now - since) / 3600 )) h ago"
      else echo "$agent.backup=ok"; fi
      continue
    fi
    read -r st epoch rest < "$STATE/$agent.status"
    if [ "$st" != ok ]; then echo "$agent.backup=failed at $(date -u -d "@$epoch" +%FT%TZ): $rest"
    elif [ $(( now - epoch )) -gt $(( 2 * iv )) ]; then echo "$agent.backup=late: the last one is from $(date -u -d "@$epoch" +%FT%TZ), over twice the schedule's interval ago"
    else echo "$agent.backup=ok"; fi
  done < "$CONF/agents"
}

# Restore through a staging directory, never straight into place: the data
# is the agent's, and so may be a snapshot's tree and whatever the agent left
# where it is written (a symlink where the snapshot has a directory would
# make restic write through it, outside the agent's data). restic writes into
# a fresh root-only directory; rsync then copies each of the agent's data
# roots into place, replacing a symlink on the way instead of following it
# (no --keep-dirlinks). The roots themselves are checked on every up
# (workspaces) or are the daemon's (volumes). The download happens while
# the agent runs; it is stopped only for the copy.
restore() {   # agent [snapshot] [path]
  local agent=$1 snap=${2:-latest} only=${3:-} line sock container running p stage
  local -a paths inc=()
  line=$(agent_line "$agent")
  [ -n "$line" ] || die "agent $agent is not backed up on this host (not in $CONF/agents)"
  read -r _ sock container _ <<< "$line"
  load_env
  # The repository and the snapshot first: a wrong password or a missing snapshot changes nothing.
  repo_check || exit 1
  # (restic 0.14 exits 0 for an ID it cannot find: an empty list is the answer.)
  restic snapshots --json --tag "agent=$agent" "$snap" 2>/dev/null | grep -q '"id":' \
    || die "no snapshot $snap of agent $agent in $RESTIC_REPOSITORY (containai-backup snapshots $agent)"
  mapfile -t paths < <(agent_paths "$line")
  if [ -n "$only" ]; then
    if ! [[ "$only" =~ ^(/[^/]+)+$ ]] || [[ "$only/" =~ /\.\.?/ ]]; then die "$only: give a path in its normal form (no ., .. or //)"; fi
    for p in "${paths[@]}"; do case "$only/" in "$p"/*) inc=(--include "$only") ;; esac; done
    [ "${#inc[@]}" -gt 0 ] || die "$only is not inside agent $agent's data: ${paths[*]}"
  else
    for p in "${paths[@]}"; do inc+=(--include "$p"); done
  fi
  stage="$STATE/restore.$agent"
  rm -rf "$stage"
  mkdir -p "$stage"
  chmod 0700 "$stage"
  say "restoring snapshot $snap of agent $agent into $stage: ${inc[*]}"
  if ! restic restore "$snap" --tag "agent=$agent" --target "$stage" "${inc[@]}"; then
    rm -rf "$stage"
    die "restic restore failed; nothing was changed and the agent was not stopped"
  fi
  running=$(docker -H "unix://$sock" inspect -f '{{.State.Running}}' "$container" 2>/dev/null || echo missing)
  if [ "$running" = true ]; then
    say "stopping agent $agent"
    docker -H "unix://$sock" stop "$container" >/dev/null
  fi
  for p in "${paths[@]}"; do
    [ -e "$stage$p" ] || continue
    rsync -aH --numeric-ids "$stage$p/" "$p/" \
      || { say "copying $p into place failed; the agent stays stopped, the restored files are in $stage"; exit 1; }
  done
  rm -rf "$stage"
  if [ "$running" = true ]; then
    say "starting agent $agent"
    docker -H "unix://$sock" start "$container" >/dev/null
  fi
  say "agent $agent restored from $snap"
}

cmd=${1:-}; shift || true
case "$cmd" in
  run)
    load_env
    exec {lk}> "$LOCK"
    flock "$lk"
    if [ "$#" -eq 0 ]; then mapfile -t all < <(awk 'NF {print $1}' "$CONF/agents"); set -- "${all[@]}"; fi
    if ! repo_check; then
      for a in "$@"; do write_status "$a" "failed $(date +%s) $REPO_WHY"; done
      exit 1
    fi
    rc=0
    for a in "$@"; do backup_one "$a" || rc=1; done
    exit "$rc"
    ;;
  check) load_env; repo_check || exit 1; say "repository $RESTIC_REPOSITORY: ok" ;;
  status) status ;;
  snapshots) load_env; a=${1:?agent}; shift; restic snapshots --tag "agent=$a" "$@" ;;
  restore) exec {lk}> "$LOCK"; flock "$lk"; restore "${1:?agent}" "${2:-}" "${3:-}" ;;
  *) die "usage: containai-backup run [AGENT...] | check | status | snapshots AGENT | restore AGENT [SNAPSHOT] [PATH]" ;;
esac

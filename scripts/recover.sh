#!/usr/bin/env bash
# npm run recover -- --stack S [--dry-run]: recover a stack after its
# `pulumi up` was killed (Ctrl-C twice, kill -9, a cancelled CI job).
#
# 1. Stops the processes that run of THIS stack left behind: the language
#    host, the program and the provider plugins (docker, dynamic providers)
#    of a run whose engine is gone. A run is told apart by its engine's
#    address (every process of one run names it); it is this stack's when the
#    program recorded that address for stack S of this project when it
#    started (~/.cache/containai-infra/runs, components/runs.ts), or when one
#    of its processes is the program started with `--stack S`. Live runs
#    (their engine answers) and other stacks' runs are never touched;
#    leftovers no stack can be told for are listed, not stopped.
# 2. `pulumi cancel` (the file backend's update lock, when held).
# 3. The creates the killed run left pending (they pile up in state
#    otherwise): an agent container the daemon created while the CLI died is
#    removed (volumes and workspace kept), found on the host as the provider
#    reaches it, only with this stack's labels and an ID state does not know;
#    then the pending creates are cleared (`--clear-pending-creates`).
#    fleet/pending.ts.
# Then run `pulumi up`.
set -euo pipefail
stack="" dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --stack) stack=${2:?--stack needs a name}; shift 2 ;;
    --stack=*) stack=${1#--stack=}; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "recover: unknown argument $1 (usage: npm run recover -- --stack S [--dry-run])" >&2; exit 2 ;;
  esac
done
[ -n "$stack" ] || { echo "recover: --stack S is required (the stack whose run was killed)" >&2; exit 2; }
if ! command -v pulumi >/dev/null 2>&1; then
  # shellcheck disable=SC1090
  source "$(bash "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh")"
fi
project=""
[ -f Pulumi.yaml ] && project=$(sed -n 's/^name:[[:space:]]*//p' Pulumi.yaml | head -n1 | tr -d "\"'")

# Every Pulumi process: "pid engine-address kind stack project".
pulumi_procs() {
  local p args engine st pr kind
  for p in /proc/[0-9]*; do
    args=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
    case "$args" in
      *pulumi-language-*|*pulumi-resource-*|*pulumi-analyzer-*|*@pulumi/pulumi/cmd/*) ;;
      *) continue ;;
    esac
    engine=$(printf '%s\n' "$args" | grep -oE -- '--engine 127\.0\.0\.1:[0-9]+' | cut -d' ' -f2 || true)
    [ -n "$engine" ] || engine=$(printf '%s\n' "$args" | grep -oE '127\.0\.0\.1:[0-9]+' | tail -n1 || true)
    [ -n "$engine" ] || continue
    st=$(printf '%s\n' "$args" | grep -oE -- '--stack [^ ]+' | cut -d' ' -f2 || true)
    pr=$(printf '%s\n' "$args" | grep -oE -- '--project [^ ]+' | cut -d' ' -f2 || true)
    kind=$(printf '%s\n' "$args" | grep -oE 'pulumi-(language|resource|analyzer)-[a-z0-9-]+|cmd/(run|dynamic-provider)' | head -n1 || true)
    echo "${p#/proc/} $engine ${kind:-pulumi} ${st:--} ${pr:--}"
  done
}
alive() { (exec 3<>"/dev/tcp/127.0.0.1/${1#127.0.0.1:}") 2>/dev/null; }

# What the program recorded when it started: engine address -> stack (components/runs.ts).
runs="${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}/runs"
recorded_stack() {
  local f="$runs/${1/:/_}"
  [ -f "$f" ] || return 0
  if sed -n 's/^project=//p' "$f" | grep -qxF -- "${project:-$(sed -n 's/^project=//p' "$f")}"; then
    sed -n 's/^stack=//p' "$f"
  fi
}

procs=$(pulumi_procs)
ours="" others=""
for engine in $(printf '%s\n' "$procs" | awk 'NF {print $2}' | sort -u); do
  alive "$engine" && continue   # a live run: never touched
  group=$(printf '%s\n' "$procs" | awk -v e="$engine" '$2 == e')
  rec=$(recorded_stack "$engine")
  if printf '%s\n' "$group" | awk -v s="$stack" -v p="$project" '$4 == s && (p == "" || $5 == p) {f=1} END {exit !f}' \
     || [ "$rec" = "$stack" ]; then
    ours="$ours$group"$'\n'
    [ "$dry" = 1 ] || rm -f "$runs/${engine/:/_}"
  elif [ -z "$rec" ] && ! printf '%s\n' "$group" | awk '$4 != "-" {f=1} END {exit !f}'; then
    others="$others$group"$'\n'
  fi
done
if [ -n "${ours//[[:space:]]/}" ]; then
  echo "processes of stack $stack's interrupted run (engine gone):"
  printf '%s\n' "$ours" | awk 'NF {printf "  %s %s\n", $1, $3}'
  if [ "$dry" = 0 ]; then
    # shellcheck disable=SC2046 # PIDs, split on purpose
    kill -TERM $(printf '%s\n' "$ours" | awk 'NF {print $1}') 2>/dev/null || true
    sleep 2
    # shellcheck disable=SC2046
    kill -KILL $(printf '%s\n' "$ours" | awk 'NF {print $1}') 2>/dev/null || true
    echo "  stopped"
  fi
else
  echo "no process of stack $stack's interrupted run is left"
fi
if [ -n "${others//[[:space:]]/}" ]; then
  echo "left alone: leftovers of other interrupted runs whose stack cannot be told (stop them by PID if they are yours):"
  printf '%s\n' "$others" | awk 'NF {printf "  %s %s (engine %s)\n", $1, $3, $2}'
fi
[ "$dry" = 0 ] || { echo "(dry run: nothing changed)"; exit 0; }
out=$(pulumi cancel --yes --stack "$stack" --non-interactive 2>&1) && echo "pulumi cancel: the stack's update lock was removed" \
  || echo "pulumi cancel: $(printf '%s\n' "$out" | tail -n1)"
# The creates the killed run left pending: an agent container the daemon
# made all the same is removed (volumes kept), then they are cleared (fleet/pending.ts).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -f "$here/dist/fleet/pending.js" ] || (cd "$here" && bash scripts/build.sh >&2)
node "$here/dist/fleet/pending.js" --stack "$stack"
echo "recovered: now run \`pulumi up\`"

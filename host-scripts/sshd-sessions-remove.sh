#!/usr/bin/env bash
# Remove our sshd drop-in (only ours), validate, reload. Env: MAX_SESSIONS DROPIN
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
ours "$DROPIN" || exit 0
keep=$(mktemp)
cat "$DROPIN" > "$keep"
rm -f "$DROPIN"
if ! out=$(sshd -t 2>&1); then
  atomic_install "$keep" "$DROPIN" 0644
  rm -f "$keep"
  die "sshd -t refused the configuration without $DROPIN (kept): $out"
fi
rm -f "$keep"
sshd_reload

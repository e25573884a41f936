#!/usr/bin/env bash
# Env: SYSBOX_REMOVE (1 to remove binaries and units installed by sysbox-apply.sh)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
state="$CONTAINAI_STATE/sysbox"
if [ -f "$state/fusermount3.orig" ]; then
  atomic_install "$state/fusermount3.orig" /etc/apparmor.d/local/fusermount3 0644 && rm -f "$state/fusermount3.orig"
elif grep -qs containai-infra /etc/apparmor.d/local/fusermount3; then
  rm -f /etc/apparmor.d/local/fusermount3
fi
if [ "${SYSBOX_REMOVE:-0}" != 1 ]; then
  echo "sysbox: left installed (containai:sysbox.removeOnDestroy is false)" >&2
  exit 0
fi
systemctl disable --now sysbox.service sysbox-mgr.service sysbox-fs.service >/dev/null 2>&1 || true
if [ -f "$state/manifest" ]; then
  while read -r f; do rm -f "$f"; done < "$state/manifest"
fi
rm -f "$state/manifest" "$state/version"
systemctl daemon-reload

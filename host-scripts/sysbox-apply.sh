#!/usr/bin/env bash
# Install sysbox-ce from a pinned, checksummed .deb, with its side effects
# contained: the package is unpacked with dpkg-deb and its files installed
# here, so its maintainer scripts (which rewrite /etc/docker/daemon.json, SIGHUP
# every dockerd and may restart the default docker.service) never run.
#
# Env:
#   SYSBOX_CANDIDATES   lines "url sha256 label version", in order of
#                       preference; the next is tried only when a download
#                       FAILS (never on a checksum mismatch). `sysbox-runc
#                       --version` must then report that candidate's version.
#   AGENT_SOCKETS       daemon sockets whose agent containers are stopped
#                       before an upgrade and started after (space-separated)
#   APPARMOR_DROPIN     optional fusermount3 AppArmor drop-in (text)
#
# URLs may carry credentials (a secret in the stack): messages print them
# through redact_url only. Agents stopped for an upgrade are recorded in
# $state/stopped-containers until they run again, so a run that dies midway
# never forgets them (the probe reports them, and the next run starts them).
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock

state="$CONTAINAI_STATE/sysbox"
mkdir -p "$state/cache"

installed_version() {
  if command -v sysbox-runc >/dev/null 2>&1; then
    sysbox-runc --version 2>/dev/null | awk -F':' '/version/ {gsub(/[ \t]/, "", $2); print $2; exit}'
  fi
}

if [ -n "${APPARMOR_DROPIN:-}" ]; then
  dropin=/etc/apparmor.d/local/fusermount3
  if [ -f "$dropin" ] && [ ! -f "$state/fusermount3.orig" ] && ! grep -q containai-infra "$dropin"; then
    atomic_install "$dropin" "$state/fusermount3.orig" 0644
  fi
  write_text "$dropin" "$APPARMOR_DROPIN"
  if [ -f /etc/apparmor.d/fusermount3 ]; then apparmor_parser -r /etc/apparmor.d/fusermount3; fi
fi

stopped="$state/stopped-containers"
# Start every agent container on the record; keep the ones that fail on it.
start_recorded_agents() {
  [ -s "$stopped" ] || { rm -f "$stopped"; return 0; }
  local left sock id
  left=$(mktemp)
  while read -r sock id; do
    [ -n "$id" ] || continue
    if docker -H "unix://$sock" start "$id" >/dev/null 2>&1; then
      echo "sysbox: agent container $id on $sock started again" >&2
    elif docker -H "unix://$sock" inspect "$id" >/dev/null 2>&1; then
      warn "could not start agent container $id on $sock; it stays on the record ($stopped) and shows as drift"
      echo "$sock $id" >> "$left"
    else
      warn "agent container $id on $sock no longer exists; dropped from the record"
    fi
  done < "$stopped"
  if [ -s "$left" ]; then atomic_install "$left" "$stopped" 0644; else rm -f "$stopped"; fi
  rm -f "$left"
}

current=$(installed_version || true)
# Already converged: the installed version is the one we chose last time and
# is still among the configured candidates.
if [ -n "$current" ] && [ -f "$state/manifest" ] && [ "$(cat "$state/version" 2>/dev/null)" = "$current" ] \
   && printf '%s\n' "$SYSBOX_CANDIDATES" | awk '{print $4}' | grep -qx "$current"; then
  systemctl enable sysbox.service >/dev/null 2>&1
  systemctl is-active --quiet sysbox.service || systemctl start sysbox.service
  echo "sysbox: $current already installed" >&2
  start_recorded_agents
  [ ! -s "$stopped" ] || die "agent containers stopped for a sysbox upgrade could not be started again: $(tr '\n' ' ' < "$stopped")"
  exit 0
fi

# 1. Download and verify. Nothing on the host changes before this passes.
deb="" chosen="" SYSBOX_VERSION=""
while read -r url sha label version; do
  [ -n "$url" ] || continue
  dest="$state/cache/$sha.deb"
  if [ ! -f "$dest" ]; then
    if ! curl -fsSL --retry 3 --connect-timeout 15 -o "$dest.part" "$url" 2>"$state/curl.err"; then
      warn "sysbox: $label asset unavailable ($(redact_url "$url"): $(tail -n1 "$state/curl.err" | sed -E 's#://[^/@ ]*@#://***@#g')); trying the next source"
      rm -f "$dest.part"
      continue
    fi
    got=$(sha256sum "$dest.part" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
      rm -f "$dest.part"
      die "sha256 mismatch for $(redact_url "$url"): expected $sha, got $got; nothing was installed. Check containai:sysbox sha256 settings or the mirror." 3
    fi
    mv "$dest.part" "$dest"
  fi
  deb=$dest chosen=$label SYSBOX_VERSION=$version
  break
done <<< "$SYSBOX_CANDIDATES"
[ -n "$deb" ] || die "no sysbox .deb could be downloaded from any configured source; nothing was installed" 2
echo "sysbox: installing $SYSBOX_VERSION from the $chosen source" >&2

# 2. Dependencies from the package's control file (fuse v2 replaced by fuse3:
#    sysbox >= 0.7.1 calls fusermount3, and fuse can remove fuse3).
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/[(|].*//; s/^ *//; s/ *$//' \
  | grep -v -E '^(debconf|\$\{.*\}|)$' | sed 's/^fuse$/fuse3/' | sort -u | tr '\n' ' ')
pre=$(dpkg-deb -f "$deb" Pre-Depends | tr ',' '\n' | sed 's/[(|].*//; s/^ *//; s/ *$//' | grep -v '^$' | tr '\n' ' ' || true)
missing=""
for p in $deps $pre; do pkg_installed "$p" || missing="$missing $p"; done
# shellcheck disable=SC2086
[ -z "$missing" ] || apt_install $missing

# 3. Upgrade: stop agent containers gracefully first (sysbox restarts break
#    them). The record is appended to, never truncated: agents an earlier,
#    interrupted run stopped are still on it. Each is recorded (and synced)
#    before it is stopped.
if [ -n "$current" ]; then
  n=0
  for sock in ${AGENT_SOCKETS:-}; do
    [ -S "$sock" ] || continue
    for id in $(docker -H "unix://$sock" ps -q --filter label=containai.agent 2>/dev/null); do
      grep -qx "$sock $id" "$stopped" 2>/dev/null || { echo "$sock $id" >> "$stopped"; sync "$stopped"; }
      docker -H "unix://$sock" stop -t 100 "$id" >/dev/null
      n=$((n + 1))
    done
  done
  echo "sysbox: upgrading $current -> $SYSBOX_VERSION ($n agent containers stopped)" >&2
  systemctl stop sysbox.service sysbox-mgr.service sysbox-fs.service 2>/dev/null || true
fi

# 4. Install the package's files and record them.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dpkg-deb -x "$deb" "$stage"
: > "$state/manifest.new"
for f in "$stage"/usr/bin/sysbox-*; do
  atomic_install "$f" "/usr/bin/$(basename "$f")" 0755
  echo "/usr/bin/$(basename "$f")" >> "$state/manifest.new"
done
for d in lib/systemd/system usr/lib/systemd/system; do
  for f in "$stage/$d"/sysbox*.service; do
    [ -f "$f" ] || continue
    atomic_install "$f" "/lib/systemd/system/$(basename "$f")" 0644
    echo "/lib/systemd/system/$(basename "$f")" >> "$state/manifest.new"
  done
done
for d in lib/sysctl.d usr/lib/sysctl.d; do
  for f in "$stage/$d"/*.conf; do
    [ -f "$f" ] || continue
    atomic_install "$f" "/lib/sysctl.d/$(basename "$f")" 0644
    echo "/lib/sysctl.d/$(basename "$f")" >> "$state/manifest.new"
    sysctl -q -p "/lib/sysctl.d/$(basename "$f")" >/dev/null 2>&1 \
      || warn "sysbox: some sysctls in $(basename "$f") could not be applied here"
  done
done
sync "$state/manifest.new"
mv "$state/manifest.new" "$state/manifest"
id sysbox >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/false sysbox
mkdir -p /var/lib/sysboxfs

# 5. Services, then confirm the runtime reports the pinned version.
systemctl daemon-reload
systemctl enable sysbox.service >/dev/null 2>&1
# sysbox-mgr or sysbox-fs can fail their first start right after the old
# ones stopped ("A dependency job for sysbox.service failed", seen once in
# the lab on an upgrade with running agents): try three times, saying why.
why() { journalctl -u sysbox-mgr.service -u sysbox-fs.service -u sysbox.service -n "$1" --no-pager 2>&1 | tail -n "$1"; }
for attempt in 1 2 3; do
  systemctl restart sysbox.service 2>/dev/null && break
  warn "sysbox: sysbox.service did not start (attempt $attempt of 3): $(why 4 | tr '\n' ' ')"
  systemctl reset-failed sysbox.service sysbox-mgr.service sysbox-fs.service 2>/dev/null || true
  sleep 3
done
for _ in $(seq 1 30); do systemctl is-active --quiet sysbox.service && break; sleep 1; done
systemctl is-active --quiet sysbox.service || die "sysbox.service did not become active: $(why 20)"
now=$(installed_version || true)
[ "$now" = "$SYSBOX_VERSION" ] || die "sysbox-runc --version reports '$now', expected $SYSBOX_VERSION"
write_text "$state/version" "$SYSBOX_VERSION
"

# 6. Start the agent containers stopped for the upgrade (or by a run that died).
start_recorded_agents

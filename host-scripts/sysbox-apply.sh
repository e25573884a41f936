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
#   APPARMOR_DROPIN_B64 optional fusermount3 AppArmor drop-in (base64)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"

state="$CONTAINAI_STATE/sysbox"
mkdir -p "$state/cache"

installed_version() {
  if command -v sysbox-runc >/dev/null 2>&1; then
    sysbox-runc --version 2>/dev/null | awk -F':' '/version/ {gsub(/[ \t]/, "", $2); print $2; exit}'
  fi
}

if [ -n "${APPARMOR_DROPIN_B64:-}" ]; then
  dropin=/etc/apparmor.d/local/fusermount3
  if [ -f "$dropin" ] && [ ! -f "$state/fusermount3.orig" ] && ! grep -q containai-infra "$dropin"; then
    cp -p "$dropin" "$state/fusermount3.orig"
  fi
  write_b64 "$dropin" "$APPARMOR_DROPIN_B64"
  if [ -f /etc/apparmor.d/fusermount3 ]; then apparmor_parser -r /etc/apparmor.d/fusermount3; fi
fi

current=$(installed_version || true)
# Already converged: the installed version is the one we chose last time and
# is still among the configured candidates.
if [ -n "$current" ] && [ -f "$state/manifest" ] && [ "$(cat "$state/version" 2>/dev/null)" = "$current" ] \
   && printf '%s\n' "$SYSBOX_CANDIDATES" | awk '{print $4}' | grep -qx "$current"; then
  systemctl enable sysbox.service >/dev/null 2>&1
  systemctl is-active --quiet sysbox.service || systemctl start sysbox.service
  echo "sysbox: $current already installed" >&2
  exit 0
fi

# 1. Download and verify. Nothing on the host changes before this passes.
deb="" chosen="" SYSBOX_VERSION=""
while read -r url sha label version; do
  [ -n "$url" ] || continue
  dest="$state/cache/$sha.deb"
  if [ ! -f "$dest" ]; then
    if ! curl -fsSL --retry 3 --connect-timeout 15 -o "$dest.part" "$url" 2>"$state/curl.err"; then
      warn "sysbox: $label asset unavailable ($url: $(tail -n1 "$state/curl.err")); trying the next source"
      rm -f "$dest.part"
      continue
    fi
    got=$(sha256sum "$dest.part" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
      rm -f "$dest.part"
      die "sha256 mismatch for $url: expected $sha, got $got; nothing was installed. Check containai:sysbox sha256 settings or the mirror." 3
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

# 3. Upgrade: stop agent containers gracefully first (sysbox restarts break them).
stopped="$state/stopped-containers"
: > "$stopped.new"
if [ -n "$current" ]; then
  for sock in ${AGENT_SOCKETS:-}; do
    [ -S "$sock" ] || continue
    for id in $(docker -H "unix://$sock" ps -q --filter label=containai.agent 2>/dev/null); do
      echo "$sock $id" >> "$stopped.new"
      docker -H "unix://$sock" stop -t 100 "$id" >/dev/null
    done
  done
  echo "sysbox: upgrading $current -> $SYSBOX_VERSION ($(wc -l < "$stopped.new") agent containers stopped)" >&2
  systemctl stop sysbox.service sysbox-mgr.service sysbox-fs.service 2>/dev/null || true
fi
mv "$stopped.new" "$stopped"

# 4. Install the package's files and record them.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dpkg-deb -x "$deb" "$stage"
: > "$state/manifest.new"
for f in "$stage"/usr/bin/sysbox-*; do
  install -m 0755 "$f" "/usr/bin/$(basename "$f")"
  echo "/usr/bin/$(basename "$f")" >> "$state/manifest.new"
done
for d in lib/systemd/system usr/lib/systemd/system; do
  for f in "$stage/$d"/sysbox*.service; do
    [ -f "$f" ] || continue
    install -m 0644 "$f" "/lib/systemd/system/$(basename "$f")"
    echo "/lib/systemd/system/$(basename "$f")" >> "$state/manifest.new"
  done
done
for d in lib/sysctl.d usr/lib/sysctl.d; do
  for f in "$stage/$d"/*.conf; do
    [ -f "$f" ] || continue
    install -m 0644 "$f" "/lib/sysctl.d/$(basename "$f")"
    echo "/lib/sysctl.d/$(basename "$f")" >> "$state/manifest.new"
    sysctl -q -p "/lib/sysctl.d/$(basename "$f")" >/dev/null 2>&1 \
      || warn "sysbox: some sysctls in $(basename "$f") could not be applied here"
  done
done
mv "$state/manifest.new" "$state/manifest"
id sysbox >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/false sysbox
mkdir -p /var/lib/sysboxfs

# 5. Services, then confirm the runtime reports the pinned version.
systemctl daemon-reload
systemctl enable sysbox.service >/dev/null 2>&1
systemctl restart sysbox.service
for _ in $(seq 1 30); do systemctl is-active --quiet sysbox.service && break; sleep 1; done
systemctl is-active --quiet sysbox.service || die "sysbox.service did not become active: $(journalctl -u sysbox.service -n 20 --no-pager 2>&1 | tail -n 20)"
now=$(installed_version || true)
[ "$now" = "$SYSBOX_VERSION" ] || die "sysbox-runc --version reports '$now', expected $SYSBOX_VERSION"
echo "$SYSBOX_VERSION" > "$state/version"

# 6. Start the agent containers stopped for the upgrade.
while read -r sock id; do
  [ -n "$id" ] || continue
  docker -H "unix://$sock" start "$id" >/dev/null || warn "could not restart agent container $id on $sock"
done < "$stopped"
rm -f "$stopped"

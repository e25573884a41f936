#!/usr/bin/env bash
# Build the sysbox-ce TEST DOUBLE .deb used by the lab. It is NOT sysbox.
#
# Real sysbox cannot be obtained from the registries reachable here, and the
# lab kernel is outside sysbox's support. The double has the real package's
# name and layout (usr/bin/sysbox-{runc,mgr,fs}, lib/systemd/system/sysbox*.service,
# lib/sysctl.d/99-sysbox-sysctl.conf, same Depends) so download, checksum,
# install, services and runtime registration run for real; `sysbox-runc`
# hands over to runc, and sysbox-mgr/sysbox-fs are idle services. Its
# description and every binary say "TEST DOUBLE".
#
#   build.sh VERSION OUTDIR   → OUTDIR/sysbox-ce_VERSION.linux_<arch>.deb (+ .sha256)
set -euo pipefail
version=${1:?version}
out=${2:?outdir}
arch=$(dpkg --print-architecture)
name="sysbox-ce_${version}.linux_${arch}.deb"
mkdir -p "$out"
# Rebuilt when this script changes (the cached .deb must match it).
self=$(sha256sum "$0" | cut -c1-16)
if [ -f "$out/$name" ] && [ -f "$out/$name.sha256" ] && [ "$(cat "$out/$name.src" 2>/dev/null)" = "$self" ]; then
  echo "$out/$name"
  exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/lib/sysctl.d"
cat > "$root/DEBIAN/control" <<CONTROL
Package: sysbox-ce
Version: ${version}.linux
Architecture: ${arch}
Maintainer: containai-infra lab <lab@containai.invalid>
Pre-Depends: jq
Depends: debconf, jq, fuse, lsb-release, rsync, iptables
Section: admin
Priority: optional
Description: TEST DOUBLE of sysbox-ce for the containai-infra lab (NOT sysbox)
 Same package name and layout as sysbox-ce; sysbox-runc execs runc.
CONTROL
cat > "$root/usr/bin/sysbox-runc" <<RUNC
#!/bin/sh
# TEST DOUBLE of sysbox-runc (containai-infra lab): NOT sysbox.
if [ "\${1:-}" = "--version" ] || [ "\${1:-}" = "-v" ]; then
  printf 'sysbox-runc\n\tedition: \tTEST DOUBLE (containai-infra lab)\n\tversion: \t${version}\n\tcommit: \tlab-double\n'
  exit 0
fi
# Like real sysbox for a container whose init is systemd, give it what systemd
# needs: /sys/fs/cgroup (here a read-only bind of the host's) and tmpfs on
# /run and /run/lock. Everything else is plain runc: no user namespace, no
# procfs/sysfs virtualization, no Docker-in-Docker.
bundle=""; cmd=""; prev=""
for a in "\$@"; do
  case "\$prev" in --bundle|-b) bundle=\$a ;; esac
  case "\$a" in create|run) [ -n "\$cmd" ] || cmd=\$a ;; --bundle=*) bundle=\${a#--bundle=} ;; esac
  prev=\$a
done
if [ -n "\$cmd" ] && [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ] \\
   && jq -e '(.process.args[0] // "") | test("(^|/)(init|systemd)\$")' "\$bundle/config.json" >/dev/null 2>&1; then
  jq '.mounts = ([.mounts[] | select(.destination != "/sys/fs/cgroup" and .destination != "/run" and .destination != "/run/lock")]
      + [{"destination": "/sys/fs/cgroup", "type": "bind", "source": "/sys/fs/cgroup", "options": ["rbind", "ro", "nosuid", "noexec", "nodev"]},
         {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755"]},
         {"destination": "/run/lock", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "mode=1777"]}])' \\
    "\$bundle/config.json" > "\$bundle/config.json.double" && mv "\$bundle/config.json.double" "\$bundle/config.json"
fi
exec runc "\$@"
RUNC
for svc in mgr fs; do
  cat > "$root/usr/bin/sysbox-$svc" <<DAEMON
#!/bin/sh
# TEST DOUBLE of sysbox-$svc (containai-infra lab): NOT sysbox. Idles.
if [ "\${1:-}" = "--version" ]; then
  printf 'sysbox-$svc\n\tedition: \tTEST DOUBLE (containai-infra lab)\n\tversion: \t${version}\n'
  exit 0
fi
mkdir -p /run/sysbox
exec sleep infinity
DAEMON
done
chmod 0755 "$root"/usr/bin/*
cat > "$root/lib/systemd/system/sysbox.service" <<'UNIT'
[Unit]
Description=Sysbox container runtime (TEST DOUBLE, containai-infra lab)
BindsTo=sysbox-mgr.service sysbox-fs.service
After=sysbox-mgr.service sysbox-fs.service
Before=docker.service containerd.service

[Service]
Type=exec
ExecStart=/bin/sh -c "/usr/bin/sysbox-runc --version && /usr/bin/sysbox-mgr --version && /usr/bin/sysbox-fs --version && /bin/sleep infinity"

[Install]
WantedBy=multi-user.target
UNIT
for svc in mgr fs; do
  cat > "$root/lib/systemd/system/sysbox-$svc.service" <<UNIT
[Unit]
Description=sysbox-$svc (TEST DOUBLE, containai-infra lab)
PartOf=sysbox.service

[Service]
Type=exec
ExecStart=/usr/bin/sysbox-$svc

[Install]
WantedBy=sysbox.service
UNIT
done
printf 'fs.inotify.max_user_watches = 1048576\n' > "$root/lib/sysctl.d/99-sysbox-sysctl.conf"
# Reproducible: same bytes (and sha256) on every machine, so stacks can pin it.
chmod -R go-w "$root"
find "$root" -exec touch -h -d @0 {} +
SOURCE_DATE_EPOCH=0 dpkg-deb --root-owner-group -Zxz --build "$root" "$out/$name" >/dev/null
(cd "$out" && sha256sum "$name" > "$name.sha256")
echo "$self" > "$out/$name.src"
echo "$out/$name"

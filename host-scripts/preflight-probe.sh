#!/usr/bin/env bash
# Read-only host facts for the preflight (key=value lines). Changes nothing.
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"

# shellcheck disable=SC1091
. /etc/os-release
echo "os_id=${ID:-unknown}"
echo "os_version=${VERSION_ID:-unknown}"
echo "kernel=$(uname -r)"
if command -v dpkg >/dev/null 2>&1; then
  echo "arch=$(dpkg --print-architecture)"
else
  case "$(uname -m)" in x86_64) echo arch=amd64 ;; aarch64) echo arch=arm64 ;; *) echo "arch=$(uname -m)" ;; esac
fi
echo "pid1=$(cat /proc/1/comm 2>/dev/null || echo unknown)"
mkdir -p /var/lib 2>/dev/null || true
echo "cpus=$(nproc 2>/dev/null || echo 1)"
echo "memory_bytes=$(awk '/^MemTotal:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)"
echo "disk_free_mb=$(df -Pm /var/lib | awk 'NR==2 {print $4}')"
missing=""
for t in curl sha256sum systemctl apt-get dpkg-deb ip base64; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
echo "missing_tools=${missing# }"
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null || echo N)" = Y ]; then
  echo apparmor=yes
else
  echo apparmor=no
fi
# IPv4 routes other than the default one, "dst@dev" (bridge CIDRs must not overlap them).
routes=$(ip -4 route show table main 2>/dev/null | awk '$1 ~ /^[0-9]/ {dev=""; for (i = 1; i < NF; i++) if ($i == "dev") dev = $(i + 1); printf "%s@%s ", $1, dev}')
echo "routes=${routes% }"
# Data-roots of running dockerds that are not ours (OWN_CONFIG_FILES: our
# daemons' --config-file paths), the default one included.
others=""
while read -r _pid args; do
  [ -n "$args" ] || continue
  cfg=$(printf '%s\n' "$args" | grep -oE -- '--config-file[= ][^ ]+' | sed -E 's/^--config-file[= ]//' | head -n1 || true)
  if [ -n "$cfg" ]; then
    case " ${OWN_CONFIG_FILES:-} " in *" $cfg "*) continue ;; esac
  fi
  dr=$(printf '%s\n' "$args" | grep -oE -- '--data-root[= ][^ ]+' | sed -E 's/^--data-root[= ]//' | head -n1 || true)
  if [ -z "$dr" ] && command -v jq >/dev/null 2>&1; then
    dr=$(jq -r '."data-root" // empty' "${cfg:-/etc/docker/daemon.json}" 2>/dev/null || true)
  fi
  others="$others ${dr:-/var/lib/docker}"
done < <(pgrep -a -x dockerd 2>/dev/null || true)
echo "other_data_roots=${others# }"

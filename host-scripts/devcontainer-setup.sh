#!/usr/bin/env bash
# Runs INSIDE an agent image build (a RUN step of the layer containai-infra
# puts on top of a devcontainer's image; components/render/devcontainer.ts):
# makes the image a system container (Debian and Ubuntu bases).
#
#   devcontainer-setup USER UID
#
# - installs what is missing, and only that: systemd as /sbin/init, sshd,
#   sudo, and Docker (docker.io) when the base has no dockerd;
# - the login user USER with uid UID (an existing USER must already have it),
#   with passwordless sudo, as devcontainer images set it up;
# - sshd enabled with no host keys of its own (the agent's pinned key is
#   written into the container at creation), Docker enabled.
# Idempotent: a base that already has all of it is left as it is.
set -euo pipefail
user=${1:?user} uid=${2:?uid}
die() { echo "containai devcontainer layer: $*" >&2; exit 1; }
# (The base is known to be Debian or Ubuntu: the layer's first RUN checks it in
# plain sh, so a base without bash gets that message too.)
# shellcheck disable=SC1091
. /etc/os-release

need=()
[ -x /lib/systemd/systemd ] || need+=(systemd)
[ -e /sbin/init ] || need+=(systemd-sysv)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
if [ "${#need[@]}" -gt 0 ]; then
  echo "containai devcontainer layer: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q || die "apt-get update failed: the build needs the base's apt sources to install ${need[*]} (or a base image that has them)"
  apt-get install -y -q --no-install-recommends "${need[@]}" || die "could not install ${need[*]}"
  rm -rf /var/lib/apt/lists/*
fi

if have=$(id -u "$user" 2>/dev/null); then
  [ "$have" = "$uid" ] || die "user $user has uid $have in the image, not $uid: set containai:agents[i].uid to $have"
else
  if getent passwd "$uid" >/dev/null; then
    die "uid $uid belongs to $(getent passwd "$uid" | cut -d: -f1) in the image: set containai:agents[i].uid, or remoteUser to that user"
  fi
  useradd -m -u "$uid" -s /bin/bash "$user"
fi
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" > "/etc/sudoers.d/containai-$user"
chmod 0440 "/etc/sudoers.d/containai-$user"

rm -f /etc/ssh/ssh_host_*
mkdir -p /run/sshd
systemctl enable ssh.service >/dev/null 2>&1 || systemctl enable sshd.service >/dev/null 2>&1 || die "cannot enable sshd's unit"
if [ -e /lib/systemd/system/docker.service ] || [ -e /usr/lib/systemd/system/docker.service ]; then
  systemctl enable docker.service >/dev/null 2>&1 || true
fi
mkdir -p /var/lib/containai-devcontainer
echo "containai devcontainer layer: $PRETTY_NAME, login user $user ($uid)" >&2

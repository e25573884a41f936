#!/usr/bin/env bash
# Lab: local test hosts for containai-infra (systemd + sshd, Debian bookworm,
# no Docker inside: the program under test installs it).
#
#   lab/lab.sh engine          start a local Docker engine if none answers
#   lab/lab.sh image           build (and cache) the bookworm host image
#   lab/lab.sh sysbox-double   build the sysbox-ce TEST DOUBLE .deb and serve it
#   lab/lab.sh agent-image     build the lab AGENT image (v1, v2) as `docker save`
#                              archives served beside the double (agent-images/)
#   lab/lab.sh sysbox-lab [T]  build (once) and serve LAB BUILDS of real sysbox: T = v0.7.0
#                              (default), v0.7.0-rev2..9 (its sources under another version,
#                              for upgrade tests) and/or v0.6.7 (negative control); prints the .debs
#   lab/lab.sh dind-images     agent images WITH Docker inside (bookworm, sid) and tiny.tar
#   lab/lab.sh s3              start the lab's S3-compatible state store (MinIO, built from its
#                              Go module) and its bucket; prints env lines for an s3:// backend
#   lab/lab.sh up [N]          start lab hosts 1..N (default 1), wait for sshd
#   lab/lab.sh hosts I [J...]  start just lab hosts I, J, ... (each suite has its own:
#                              dev 1, lab tests 2-4, bench 5-8), wait for sshd
#   lab/lab.sh reset I         destroy and recreate lab host I (bare again)
#   lab/lab.sh down            stop and remove all lab hosts
#   lab/lab.sh clean           down + remove image, keys and caches
#   lab/lab.sh ssh I [CMD...]  run a command on lab host I as root
#   lab/lab.sh info            print ports, key and known_hosts paths
#
# Host I listens for SSH on 127.0.0.1:$((LAB_PORT_BASE + I)) (default 2220+I).
# Everything cached lives under ${CONTAINAI_CACHE:-~/.cache/containai-infra}/lab.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}
lab="$cache/lab"
IMAGE=${LAB_IMAGE:-containai-lab-host:bookworm-v2}
PREFIX=containai-lab-
PORT_BASE=${LAB_PORT_BASE:-2220}
DOUBLE_PORT=${LAB_DOUBLE_PORT:-8765}
mkdir -p "$lab"

log() { echo "lab: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

engine() {
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v dockerd >/dev/null || die "dockerd not installed; run scripts/bootstrap.sh"
  # A pidfile left by an engine that was killed (its PID may since be reused
  # by another process) would make dockerd refuse to start.
  if [ -f "$lab/dockerd.pid" ] && [ "$(ps -p "$(cat "$lab/dockerd.pid")" -o comm= 2>/dev/null)" != dockerd ]; then
    rm -f "$lab/dockerd.pid"
  fi
  log "starting a local Docker engine (log: $lab/dockerd.log)"
  nohup dockerd --data-root "$lab/docker-data" --pidfile "$lab/dockerd.pid" \
    >"$lab/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  tail -20 "$lab/dockerd.log" >&2
  die "Docker engine did not come up within 60 s"
}

keys() {
  [ -f "$lab/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C containai-lab -f "$lab/id_ed25519"
  [ -f "$lab/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C containai-lab-host -f "$lab/ssh_host_ed25519_key"
}

# The lab's two keys, as one short hash: the host image carries it as a
# label, so keys made again (a wiped cache) rebuild the image instead of
# leaving hosts that accept none of them.
keys_id() { cat "$lab/id_ed25519.pub" "$lab/ssh_host_ed25519_key.pub" | sha256sum | cut -c1-16; }

image() {
  engine
  keys
  if [ "$(docker image inspect -f '{{index .Config.Labels "containai.lab.keys"}}' "$IMAGE" 2>/dev/null || true)" = "$(keys_id)" ]; then return 0; fi
  local tarball="$lab/rootfs-bookworm-v1.tar"
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null || die "debootstrap not installed; run scripts/bootstrap.sh"
    local root; root=$(mktemp -d "$lab/rootfs.XXXX") && chmod 0755 "$root"
    log "debootstrap bookworm into $root (a few minutes, once)"
    debootstrap --variant=minbase \
      --include=systemd,systemd-sysv,dbus,openssh-server,iproute2,ca-certificates,curl,jq,sudo,procps,iptables,kmod \
      bookworm "$root" http://deb.debian.org/debian >"$lab/debootstrap.log" 2>&1 \
      || { tail -20 "$lab/debootstrap.log" >&2; die "debootstrap failed"; }
    # Keep downloaded .debs (the lab mounts a shared apt archive cache).
    rm -f "$root/etc/apt/apt.conf.d/docker-clean"
    echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' > "$root/etc/apt/apt.conf.d/01keep"
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "importing $IMAGE"
  local ctx; ctx=$(mktemp -d)
  cp "$lab/id_ed25519.pub" "$ctx/authorized_keys"
  cp "$lab/ssh_host_ed25519_key" "$lab/ssh_host_ed25519_key.pub" "$ctx/"
  docker import "$tarball" "$IMAGE-base" >/dev/null
  cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $IMAGE-base
LABEL containai.lab.keys=$(keys_id)
COPY authorized_keys /root/.ssh/authorized_keys
COPY ssh_host_ed25519_key ssh_host_ed25519_key.pub /etc/ssh/
RUN chmod 700 /root/.ssh && chmod 600 /root/.ssh/authorized_keys /etc/ssh/ssh_host_ed25519_key \
 && rm -f /etc/ssh/ssh_host_rsa_key* /etc/ssh/ssh_host_ecdsa_key* \
 && printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n' > /etc/ssh/sshd_config.d/lab.conf \
 && systemctl enable ssh && echo containai-lab > /etc/hostname \
 && printf '%s\n' '[Unit]' 'Description=containai-infra lab: /sys read-write for sysbox (docker mounts it read-only)' \
      'DefaultDependencies=no' 'After=sysinit.target' 'Before=sysbox-mgr.service sysbox-fs.service sysbox.service' \
      '[Service]' 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/bin/mount -o remount,rw /sys' \
      '[Install]' 'WantedBy=multi-user.target' > /etc/systemd/system/containai-lab-sys-rw.service \
 && systemctl enable containai-lab-sys-rw.service
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

port_of() { echo $((PORT_BASE + $1)); }

start_host() {
  local i=$1 name="$PREFIX$1" port; port=$(port_of "$1")
  if docker inspect "$name" >/dev/null 2>&1 && { [ "$(docker inspect -f '{{.Config.Image}}' "$name")" != "$IMAGE" ] ||
    [ "$(docker inspect -f '{{.Image}}' "$name")" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; }; then
    # Made from an older lab image (other flags, e.g. none for real sysbox; other keys).
    log "lab host $i runs another image than the current $IMAGE: recreating it (bare)"
    docker rm -fv "$name" >/dev/null
  fi
  if docker inspect "$name" >/dev/null 2>&1; then
    [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || docker start "$name" >/dev/null
  else
    # Each host keeps its own apt archive cache (kept across resets); a shared
    # one would make parallel hosts contend for its lock.
    mkdir -p "$lab/apt-archives/host-$i/partial"
    # Flags measured in shared/notes/lab-facts.md: --privileged fails on these VMs.
    # What real sysbox needs in a lab host (shared/notes/sysbox-real.md): the
    # FUSE device (sysbox-fs), docker's masked /proc paths unmasked (a procfs
    # in a user namespace), /sys read-write (the image's containai-lab-sys-rw
    # unit), and sysbox's and the daemons' data on volumes, not the overlay
    # root (sysbox-runc ID-maps the image layers; an overlay data-root is vfs
    # whose lowerdirs are paths of this machine), workspaces too (a bind
    # mount from overlayfs is not ID-mapped: the agent could not write its
    # workspace). Anonymous volumes: removed with the host.
    docker run -d --name "$name" --hostname "containai-lab-$i" \
      --cap-add ALL --cap-drop SYS_RESOURCE \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --device-cgroup-rule 'a *:* rwm' --cgroupns=host \
      --device /dev/fuse --security-opt systempaths=unconfined \
      -v /var/lib/sysbox -v /var/lib/containai-docker -v /var/lib/docker -v /var/lib/containai \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
      -v "$lab/apt-archives/host-$i:/var/cache/apt/archives" \
      -p "127.0.0.1:$port:22" "$IMAGE" >/dev/null
  fi
}

wait_ssh() {
  local i=$1
  for _ in $(seq 1 60); do
    if hostssh "$i" true 2>/dev/null; then return 0; fi
    sleep 1
  done
  die "lab host $i: sshd did not answer on 127.0.0.1:$(port_of "$i") within 60 s"
}

known_hosts() {
  local n=$1 out="$lab/known_hosts"
  : > "$out.tmp"
  for i in $(seq 1 "$n"); do
    echo "[127.0.0.1]:$(port_of "$i") $(cut -d' ' -f1,2 "$lab/ssh_host_ed25519_key.pub")" >> "$out.tmp"
  done
  mv "$out.tmp" "$out"
}

hostssh() {
  local i=$1; shift
  ssh -q -i "$lab/id_ed25519" -p "$(port_of "$i")" \
    -o UserKnownHostsFile="$lab/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1 "$@"
}

# Known hosts cover 1..16 whatever is running, so every suite shares one file.
KNOWN_MAX=16

# Every systemd (lab hosts, agents) takes inotify instances from the same
# user (no user namespaces under runc); the kernel default of 128 runs out
# with ~15 of them. Real sysbox hosts raise these limits too (the package's
# 99-sysbox-sysctl.conf). Raised on this machine, never lowered.
inotify_limits() {
  local k v
  for kv in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=1048576; do
    k=${kv%%=*}; v=${kv#*=}
    if [ "$(sysctl -n "$k" 2>/dev/null || echo 0)" -lt "$v" ]; then
      sysctl -qw "$kv" 2>/dev/null || log "cannot raise $k (many systemd containers may fail to boot)"
    fi
  done
}

hosts() {
  [ "$#" -gt 0 ] || die "hosts: name at least one host index"
  inotify_limits
  image
  known_hosts "$KNOWN_MAX"
  for i in "$@"; do start_host "$i"; done
  for i in "$@"; do wait_ssh "$i"; done
  log "lab host(s) up: $(for i in "$@"; do printf '127.0.0.1:%s ' "$(port_of "$i")"; done)"
}

up() {
  # shellcheck disable=SC2046 # one index per word
  hosts $(seq 1 "${1:-1}")
}

reset() {
  local i=${1:?host index}
  docker rm -fv "$PREFIX$i" >/dev/null 2>&1 || true
  up_one "$i"
}

up_one() { image; known_hosts "$KNOWN_MAX"; start_host "$1"; wait_ssh "$1"; }

down() {
  local ids; ids=$(docker ps -aq --filter "name=^$PREFIX" 2>/dev/null || true)
  # shellcheck disable=SC2086 # one id per word
  [ -z "$ids" ] || docker rm -fv $ids >/dev/null
  if [ -f "$lab/double-http.pid" ]; then kill "$(cat "$lab/double-http.pid")" 2>/dev/null || true; rm -f "$lab/double-http.pid"; fi
  if [ -f "$lab/minio.pid" ]; then kill "$(cat "$lab/minio.pid")" 2>/dev/null || true; rm -f "$lab/minio.pid"; fi
}

clean() {
  down
  docker image rm -f "$IMAGE" "$IMAGE-base" >/dev/null 2>&1 || true
  rm -rf "$lab"
}

gateway_ip() {
  local ip
  ip=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -n1)
  [ -n "$ip" ] || die "no address on docker0; is the lab engine running? (lab/lab.sh engine)"
  echo "$ip"
}

sysbox_double() {
  engine
  local version=${1:-0.7.1+testdouble}
  "$here/sysbox-double/build.sh" "$version" "$lab/sysbox-double" >&2
  serve
}

serve() {
  local dir="$lab/sysbox-double" gw; gw=$(gateway_ip)
  if [ -f "$lab/double-http.pid" ] && kill -0 "$(cat "$lab/double-http.pid")" 2>/dev/null; then
    :
  else
    # Reachable from the lab hosts only (the docker bridge address of this machine).
    nohup python3 -m http.server "$DOUBLE_PORT" --bind "$gw" --directory "$dir" \
      >"$lab/double-http.log" 2>&1 &
    echo $! > "$lab/double-http.pid"
    sleep 1
  fi
  echo "http://$gw:$DOUBLE_PORT"
}

# Build lab agent image TAG in directory CTX: FROM the lab's bookworm base,
# RUN the given commands, then marked with its tag and described; systemd is
# its init. The images' cache keys include this function's text.
agent_build() {   # ctx tag run description
  cat > "$1/Dockerfile" <<DOCKERFILE
FROM $AGENT_IMAGE:base
RUN $3 \
 && echo 'containai-lab-agent $2' > /etc/containai-lab-agent
LABEL org.opencontainers.image.description="containai-infra LAB agent image: $4"
STOPSIGNAL SIGRTMIN+3
CMD ["/sbin/init"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "$AGENT_IMAGE:$2" "$1" >/dev/null
}

# The lab's agent image: Debian bookworm with systemd, sshd and a user "agent"
# (uid 1000, sudo, and a password, so tests can show password login is
# refused). It has NO Docker inside: nothing here claims Docker-in-Docker.
# v2 differs from v1 by one file (an image upgrade). Archives are built once
# and kept with their sha256 under the served directory.
AGENT_IMAGE=containai-lab-agent
agent_image() {
  image
  local dir="$lab/sysbox-double/agent-images" ctx v self
  mkdir -p "$dir"
  self=$(sed -n '/^agent_build() {/,/^}/p; /^agent_image() {/,/^}/p' "$here/lab.sh" | sha256sum | cut -c1-16)
  if [ "$(cat "$dir/.src" 2>/dev/null)" = "$self" ] && [ -f "$dir/${AGENT_IMAGE}_v2.tar.sha256" ]; then echo "$dir"; return 0; fi
  # The rootfs tarball's "." entry is 0700 (debootstrap ran in a mktemp -d):
  # on a vfs data-root (the lab hosts' daemons) that makes / unreadable for a
  # non-root user. Re-import it with / at 0755.
  python3 -c '
import sys, tarfile
src = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")
dst = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
for m in src:
    if m.name in (".", "./"):
        m.mode = 0o755
    dst.addfile(m, src.extractfile(m) if m.isreg() else None)
dst.close()' < "$lab/rootfs-bookworm-v1.tar" | docker import - "$AGENT_IMAGE:base" >/dev/null
  ctx=$(mktemp -d)
  agent_build "$ctx" v1 "useradd -m -u 1000 -s /bin/bash agent \
 && echo 'agent:lab-password' | chpasswd \
 && echo 'agent ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/agent && chmod 0440 /etc/sudoers.d/agent \
 && rm -f /etc/ssh/ssh_host_* && systemctl enable ssh" "systemd, sshd, user agent; no Docker inside"
  printf 'FROM %s:v1\nRUN echo "containai-lab-agent v2" > /etc/containai-lab-agent\n' "$AGENT_IMAGE" > "$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$AGENT_IMAGE:v2" "$ctx" >/dev/null
  rm -rf "$ctx"
  for v in v1 v2; do
    docker save -o "$dir/.${AGENT_IMAGE}_$v.tar" "$AGENT_IMAGE:$v"
    mv "$dir/.${AGENT_IMAGE}_$v.tar" "$dir/${AGENT_IMAGE}_$v.tar"
    (cd "$dir" && sha256sum "${AGENT_IMAGE}_$v.tar" > "${AGENT_IMAGE}_$v.tar.sha256")
  done
  echo "$self" > "$dir/.src"
  echo "$dir"
}

# LAB BUILDS of real sysbox (lab/sysbox-lab/build.sh: the release pipeline's
# scripts/build-sysbox.sh, go builder, sources from ../shared/vendor/sysbox),
# served beside the double under lab-builds/. v0.7.0 is what the lab runs;
# v0.6.7 is the negative control (no openat2 fix). Prints one .deb path per tag.
sysbox_lab() {
  engine
  local served="$lab/sysbox-double/lab-builds" tag deb
  mkdir -p "$served"
  for tag in "${@:-v0.7.0}"; do
    deb=$("$here/sysbox-lab/build.sh" "$tag" "$lab/sysbox-lab/$tag")
    if ! cmp -s "$deb" "$served/$(basename "$deb")"; then
      cp "$deb" "$served/.$(basename "$deb")" && mv "$served/.$(basename "$deb")" "$served/$(basename "$deb")"
      (cd "$served" && sha256sum "$(basename "$deb")" > "$(basename "$deb").sha256")
    fi
    echo "$served/$(basename "$deb")"
  done
  serve >/dev/null
}

# Agent images WITH Docker inside, for real sysbox (Docker-in-Docker):
#   dind-bookworm  the lab agent image plus bookworm's docker.io (runc 1.1.x)
#   dind-sid       bookworm with sid's docker.io 28.5.2 and runc 1.3.x, the
#                  combination of upstream sysbox#973 (the openat2 case)
# and tiny.tar, a `docker import` rootfs of busybox-static for nested runs
# (inside agents: no registry). Served under agent-images/ with sha256 files.
dind_images() {
  agent_image >/dev/null
  local dir="$lab/sysbox-double/agent-images" ctx self
  self=$(sed -n '/^agent_build() {/,/^}/p; /^dind_images() {/,/^}/p' "$here/lab.sh" | sha256sum | cut -c1-16)
  if [ "$(cat "$dir/.dind-src" 2>/dev/null)" = "$self" ] && [ -f "$dir/tiny.tar.sha256" ]; then echo "$dir"; return 0; fi
  ctx=$(mktemp -d)
  # Docker's systemd unit is enabled by the package; the inner daemon uses
  # the packaged defaults (overlay2 on the agent's /var/lib/docker volume).
  local agent_setup='useradd -m -u 1000 -s /bin/bash -G docker agent \
 && echo "agent ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/agent && chmod 0440 /etc/sudoers.d/agent \
 && rm -f /etc/ssh/ssh_host_* && systemctl enable ssh docker'
  # One image per Docker source: the lab's bookworm base, PREP (apt sources),
  # then Docker installed with INSTALL (apt-get install arguments).
  dind_image() {   # tag prep install description
    agent_build "$ctx" "$1" "$2 \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $3 >/dev/null \
 && rm -rf /var/lib/apt/lists/* && $agent_setup" "$4"
  }
  dind_image dind-bookworm "apt-get update -qq" docker.io "systemd, sshd, user agent, bookworm docker.io"
  # Docker, containerd and runc from sid (apt-pinned: nothing else is taken
  # from sid but what they need, libc6 among it). systemd stays bookworm's:
  # sid's systemd (>= 258) refuses cgroup v1, which this lab kernel's hosts
  # mount. The lab's Debian mirror serves sid's Release past its Valid-Until.
  # sid's docker.io no longer brings its CLI without Recommends: docker-cli.
  dind_image dind-sid "echo 'deb http://deb.debian.org/debian sid main' > /etc/apt/sources.list.d/sid.list \
 && printf 'Package: *\\nPin: release n=sid\\nPin-Priority: 100\\n' > /etc/apt/preferences.d/sid \
 && apt-get -o Acquire::Check-Valid-Until=false update -qq" "-t sid docker.io docker-cli" \
    "bookworm systemd, sid docker.io 28.5.2 and runc 1.3.x"
  # tiny: busybox-static from Debian, as a rootfs tarball for `docker import`.
  (cd "$ctx" && apt-get download -qq busybox-static >/dev/null 2>&1) || die "cannot download busybox-static"
  mkdir -p "$ctx/tiny" && dpkg-deb -x "$ctx"/busybox-static_*.deb "$ctx/bb"
  mkdir -p "$ctx/tiny/bin" "$ctx/tiny/tmp" "$ctx/tiny/proc" "$ctx/tiny/sys" "$ctx/tiny/dev" "$ctx/tiny/etc" "$ctx/tiny/www"
  cp "$ctx/bb/bin/busybox" "$ctx/tiny/bin/busybox"
  for a in sh cat echo ls id httpd sleep wget true; do ln -s busybox "$ctx/tiny/bin/$a"; done
  echo 'tiny-www-ok' > "$ctx/tiny/www/index.html"
  find "$ctx/tiny" -exec touch -h -d @0 {} +
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$ctx/tiny" -cf "$dir/tiny.tar" .
  (cd "$dir" && sha256sum tiny.tar > tiny.tar.sha256)
  for v in dind-bookworm dind-sid; do
    docker save -o "$dir/.${AGENT_IMAGE}_$v.tar" "$AGENT_IMAGE:$v"
    mv "$dir/.${AGENT_IMAGE}_$v.tar" "$dir/${AGENT_IMAGE}_$v.tar"
    (cd "$dir" && sha256sum "${AGENT_IMAGE}_$v.tar" > "${AGENT_IMAGE}_$v.tar.sha256")
  done
  rm -rf "$ctx"
  echo "$self" > "$dir/.dind-src"
  echo "$dir"
}

# The lab's team-state store: MinIO (a well-known S3-compatible server) on
# 127.0.0.1:$S3_PORT with lab-only credentials, data under the lab cache.
S3_PORT=${LAB_S3_PORT:-9000}
S3_BUCKET=containai-state
s3() {
  local minio key secret endpoint="http://127.0.0.1:$S3_PORT"
  minio=$(bash "$here/../scripts/install-deps.sh" minio)
  [ -f "$lab/s3-credentials" ] || printf 'containai-lab %s\n' "$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" > "$lab/s3-credentials"
  read -r key secret < "$lab/s3-credentials"
  if ! curl -fsS "$endpoint/minio/health/live" >/dev/null 2>&1; then
    mkdir -p "$lab/s3-data"
    log "starting MinIO on $endpoint (log: $lab/minio.log)"
    MINIO_ROOT_USER=$key MINIO_ROOT_PASSWORD=$secret MINIO_BROWSER=off \
      nohup "$minio" server "$lab/s3-data" --address "127.0.0.1:$S3_PORT" --quiet >"$lab/minio.log" 2>&1 &
    echo $! > "$lab/minio.pid"
    for _ in $(seq 1 60); do
      curl -fsS "$endpoint/minio/health/live" >/dev/null 2>&1 && break
      sleep 0.5
    done
    curl -fsS "$endpoint/minio/health/live" >/dev/null 2>&1 || { tail -20 "$lab/minio.log" >&2; die "MinIO did not come up"; }
  fi
  AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret node "$here/s3-bucket.js" "$endpoint" "$S3_BUCKET" \
    || die "cannot create the bucket $S3_BUCKET on $endpoint"
  cat <<ENV
AWS_ACCESS_KEY_ID=$key
AWS_SECRET_ACCESS_KEY=$secret
AWS_REGION=us-east-1
PULUMI_BACKEND_URL=s3://$S3_BUCKET?endpoint=$endpoint&use_path_style=true&region=us-east-1
ENV
}

info() {
  cat <<INFO
key=$lab/id_ed25519
known_hosts=$lab/known_hosts
port_base=$PORT_BASE
image=$IMAGE
INFO
}

cmd=${1:-}; shift || true
case "$cmd" in
  engine) engine ;;
  image) image ;;
  sysbox-double) sysbox_double "$@" ;;
  agent-image) agent_image ;;
  sysbox-lab) sysbox_lab "$@" ;;
  dind-images) dind_images ;;
  s3) s3 ;;
  serve) serve ;;
  up) up "${1:-1}" ;;
  hosts) hosts "$@" ;;
  reset) reset "$@" ;;
  down) down ;;
  clean) clean ;;
  ssh) hostssh "$@" ;;
  info) info ;;
  *) sed -n '2,23p' "$0"; exit 2 ;;
esac

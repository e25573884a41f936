#!/usr/bin/env bash
# Install everything this project needs on a fresh Debian/Ubuntu machine.
# Idempotent; caches live outside the repo (~/.cache/containai-infra, Go's caches).
#   scripts/bootstrap.sh          apt packages + npm packages + Pulumi toolchain
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh apt docker.io debootstrap shellcheck jq openssh-client iptables curl python3 golang-go util-linux git
# The lab build of real sysbox (scripts/build-sysbox.sh --builder go).
bash scripts/install-deps.sh apt gcc make pkg-config protobuf-compiler libprotobuf-dev libseccomp-dev
bash scripts/install-deps.sh npm
bash scripts/toolchain.sh >/dev/null

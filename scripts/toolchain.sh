#!/usr/bin/env bash
# Build (once) and activate the offline Pulumi toolchain.
#
#   scripts/toolchain.sh            build if needed, print the env file path
#   source "$(scripts/toolchain.sh)"  build if needed and export PATH + offline vars
#
# What it provides, all built from Go modules (no downloads from pulumi.com):
#   pulumi                   CLI + engine, github.com/pulumi/pulumi/pkg/v3 at the
#                            SAME version as the installed @pulumi/pulumi npm SDK.
#   pulumi-language-nodejs   Node.js language host. Its own module
#                            (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is refused by
#                            the module proxy reachable here at every version, so it
#                            is built from the last sdk/v3 release that still carried
#                            it in-tree (LANGHOST_SDK_VERSION), as
#                            pulumi-language-nodejs-v<that version>, and started through
#                            a small wrapper (scripts/toolchain/langhost) that passes the
#                            project's runtime options (typescript: false), which current
#                            CLIs send over RPC and that old host reads only as flags.
#                            See docs/architecture.md.
#   pulumi-resource-pulumi-nodejs  dynamic-provider host, shipped by the npm SDK.
#   pulumi-analyzer-policy         runs Node.js policy packs (the official CLI's script, rewritten).
#   plugins (scripts/plugins.sh)   lab builds of the docker and github provider plugins.
#
# Cache: ${CONTAINAI_CACHE:-~/.cache/containai-infra}/toolchain/<key>/bin, keyed by
# versions, so a second run takes well under a second. GOMODCACHE/GOCACHE are
# Go's defaults (outside the repo).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANGHOST_SDK_VERSION=3.68.0
CLIPBOARD_REPLACE=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e

sdk_pkg="$here/node_modules/@pulumi/pulumi/package.json"
if [ ! -f "$sdk_pkg" ]; then
  echo "toolchain: $sdk_pkg missing; run 'npm ci' first" >&2
  exit 1
fi
PV=$(node -p "require('$sdk_pkg').version")
cache=${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}
key="pulumi-v$PV-langhost-v$LANGHOST_SDK_VERSION-$(go env GOOS)-$(go env GOARCH)"
bin="$cache/toolchain/$key/bin"
envfile="$cache/toolchain/$key/env.sh"
mkdir -p "$bin"

log() { echo "toolchain: $*" >&2; }

need_go() {
  command -v go >/dev/null 2>&1 || { log "Go is required to build the Pulumi CLI (go >= 1.25)"; exit 1; }
  local v; v=$(go env GOVERSION | sed 's/^go//')
  if [ "$(printf '%s\n1.25\n' "$v" | sort -V | head -n1)" != 1.25 ]; then
    log "Go $v is too old: pulumi pkg/v3 needs go >= 1.25 (install a newer Go; Debian's golang-go is older)"
    exit 1
  fi
}
ldflags() { echo "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$1"; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
# The checksum database reachable here answers 404 for recent pulumi modules;
# they are still fetched from the module proxy over TLS.
export GONOSUMDB=${GONOSUMDB:-github.com/pulumi/pulumi}

build_cli() {
  need_go
  local w; w=$(mktemp -d)
  log "building pulumi CLI v$PV from github.com/pulumi/pulumi/pkg/v3 (first run: several minutes)"
  (
    cd "$w"
    go mod init local/pulumi-cli >/dev/null 2>&1
    go mod edit -replace="github.com/atotto/clipboard=$CLIPBOARD_REPLACE"
    go get "github.com/pulumi/pulumi/pkg/v3@v$PV" "github.com/pulumi/pulumi/sdk/v3@v$PV" >&2
    go build -trimpath -tags osusergo,grpcnotrace -ldflags "$(ldflags "$PV")" \
      -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  mv "$bin/pulumi.tmp" "$bin/pulumi"
  rm -rf "$w"
}

langhost_real="pulumi-language-nodejs-v$LANGHOST_SDK_VERSION"

build_langhost() {
  need_go
  local w; w=$(mktemp -d)
  log "building pulumi-language-nodejs from github.com/pulumi/pulumi/sdk/v3@v$LANGHOST_SDK_VERSION"
  (
    cd "$w"
    go mod init local/pulumi-langhost >/dev/null 2>&1
    go get "github.com/pulumi/pulumi/sdk/v3@v$LANGHOST_SDK_VERSION" >&2
    go build -trimpath -tags osusergo,grpcnotrace -ldflags "$(ldflags "$LANGHOST_SDK_VERSION")" \
      -o "$bin/$langhost_real.tmp" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  )
  mv "$bin/$langhost_real.tmp" "$bin/$langhost_real"
  rm -rf "$w"
}

# The wrapper that starts the host above with the project's runtime options
# (scripts/toolchain/langhost/main.go). Rebuilt when its source changes.
build_langhost_wrapper() {
  need_go
  local src="$here/scripts/toolchain/langhost" w
  w=$(mktemp -d)
  cp "$src/main.go" "$src/go.mod" "$src/go.sum" "$w/"
  (
    cd "$w"
    go build -trimpath -ldflags "-s -w -X main.realHost=$langhost_real" -o "$bin/pulumi-language-nodejs.tmp" .
  )
  mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  rm -rf "$w"
}

if [ ! -x "$bin/pulumi" ]; then
  if command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "v$PV" ] \
     && command -v pulumi-language-nodejs >/dev/null 2>&1; then
    log "using pulumi v$PV already on PATH"
    ln -sf "$(command -v pulumi)" "$bin/pulumi"
    ln -sf "$(command -v pulumi-language-nodejs)" "$bin/pulumi-language-nodejs"
  else
    build_cli
  fi
fi
if [ ! -L "$bin/pulumi-language-nodejs" ]; then
  # (A link is a current language host found on PATH above: it reads runtime options itself.)
  if [ ! -x "$bin/$langhost_real" ]; then
    if [ -x "$bin/pulumi-language-nodejs" ] && [ ! -f "$bin/.langhost-wrapper.sha256" ]; then
      mv "$bin/pulumi-language-nodejs" "$bin/$langhost_real"   # a cache from before the wrapper
    else
      build_langhost
    fi
  fi
  wsum=$(cat "$here/scripts/toolchain/langhost/"{main.go,go.mod,go.sum} | sha256sum | cut -d' ' -f1)
  if [ ! -x "$bin/pulumi-language-nodejs" ] || [ "$(cat "$bin/.langhost-wrapper.sha256" 2>/dev/null)" != "$wsum-$langhost_real" ]; then
    log "building the language host's wrapper (scripts/toolchain/langhost)"
    build_langhost_wrapper
    echo "$wsum-$langhost_real" > "$bin/.langhost-wrapper.sha256"
  fi
fi
# The dynamic-provider host is a small script in the npm SDK; link it beside pulumi.
ln -sf "$here/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
# Node.js policy packs (`pulumi preview --policy-pack`) run through an analyzer
# plugin named pulumi-analyzer-policy. The official CLI ships it as a small
# script next to pulumi; a Go build has none, so write the equivalent: it runs
# the npm SDK's cmd/run-policy-pack, resolved from the policy pack's directory.
cat > "$bin/pulumi-analyzer-policy-containai-nodejs.tmp" <<'ANALYZER'
#!/bin/sh
# pulumi-analyzer-policy-containai-nodejs (containai-infra toolchain): run a Node.js policy pack.
script=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"))') || exit 1
exec node "$script" "$@"
ANALYZER
chmod 0755 "$bin/pulumi-analyzer-policy-containai-nodejs.tmp"
mv "$bin/pulumi-analyzer-policy-containai-nodejs.tmp" "$bin/pulumi-analyzer-policy-containai-nodejs"

cat > "$envfile" <<ENV
export PATH="$bin:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_CREDENTIAL_STORE=plaintext
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
ENV
# Provider plugins the program uses (lab builds; see scripts/plugins.sh), registered
# in $CONTAINAI_CACHE/pulumi-home (tests link their PULUMI_HOME's plugins to it).
PATH="$bin:$PATH" bash "$here/scripts/plugins.sh"
echo "$envfile"

#!/usr/bin/env bash
# Build (once) the lab builds of the docker and github provider plugins and
# register them in a shared plugin cache. Called by scripts/toolchain.sh; prints nothing on stdout.
#
# Why a lab build: the official pulumi-resource-docker cannot be downloaded here
# (no GitHub, no get.pulumi.com) and its Go module is refused by the module
# proxy. scripts/plugins/docker/main.go wraps the same upstream Terraform
# provider (kreuzwerker/terraform-provider-docker) with pulumi-terraform-bridge.
# Users with internet access get the official plugin automatically. Facts:
# ../shared/notes/pulumi-offline.md; what it cannot prove: docs/testing.md.
#
# Cache: $CONTAINAI_CACHE/plugins/<key>/ (binary) and
# $CONTAINAI_CACHE/pulumi-home/plugins/resource-docker-v<ver>/ (registered;
# CONTAINAI_PLUGIN_HOME=<PULUMI_HOME> registers it in another Pulumi home).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}
BRIDGE=v3.128.0
PULUMI_GO=v3.228.0
TF_SDK_REPLACE=github.com/pulumi/terraform-plugin-sdk/v2@v2.0.0-20260318212141-5525259d096b
DOCKER_UPSTREAM=github.com/kreuzwerker/terraform-provider-docker
DOCKER_UPSTREAM_VERSION=v0.0.0-20260916201441-96d331c98ff4
DOCKER_MODULE=github.com/terraform-providers/terraform-provider-docker   # what its go.mod declares
GITHUB_UPSTREAM=github.com/integrations/terraform-provider-github/v6
GITHUB_UPSTREAM_VERSION=v6.13.0   # what pulumi-github 6.15.0 pins
TF_EXEC_REPLACE=github.com/hashicorp/terraform-exec@v0.15.0

log() { echo "plugins: $*" >&2; }
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi,github.com/kreuzwerker,github.com/terraform-providers,github.com/bored-engineer"

sdk_version() { node -p "require('$here/node_modules/@pulumi/$1/package.json').pulumi.version"; }

# bridge_build NAME VERSION OUT WORKDIR [go build flags...] -- [go mod edit flags...]
# A wrapper module around scripts/plugins/NAME/main.go with the bridge and
# pulumi versions that compile together, built to OUT (atomically).
bridge_build() {
  local name=$1 ver=$2 out=$3 w=$4 build=() edit=()
  shift 4
  while [ "$#" -gt 0 ] && [ "$1" != -- ]; do build+=("$1"); shift; done
  [ "$#" -gt 0 ] && shift
  edit=("$@")
  cp "$here/scripts/plugins/$name/main.go" "$w/main.go"
  (
    cd "$w"
    go mod init "local/pulumi-resource-$name" >/dev/null 2>&1
    go mod edit -replace="github.com/hashicorp/terraform-plugin-sdk/v2=$TF_SDK_REPLACE" "${edit[@]}" \
      -require="github.com/pulumi/pulumi-terraform-bridge/v3@$BRIDGE" \
      -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_GO" \
      -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_GO"
    go mod tidy "${build[@]:0:2}" -e >"$w/tidy.log" 2>&1 || true
    go build "${build[@]}" -trimpath -ldflags "-s -w -X main.Version=$ver" -o "$out.tmp" . >&2
  )
  mv "$out.tmp" "$out"
}

build_docker() {
  local ver=$1 out=$2 w up
  w=$(mktemp -d)
  trap 'rm -rf "$w"' RETURN
  log "building lab docker plugin v$ver ($DOCKER_UPSTREAM@$DOCKER_UPSTREAM_VERSION, bridge $BRIDGE; first run: several minutes)"
  up=$(cd "$w" && go mod download -json "$DOCKER_UPSTREAM@$DOCKER_UPSTREAM_VERSION" | node -e \
    'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})')
  # The upstream module, seen at a directory that does not exist, with our shim
  # package added: Go refuses overlays beneath GOMODCACHE but accepts a replace
  # to a virtual directory whose files are all overlaid.
  local virt="$w/upstream"
  node - "$up" "$virt" "$here/scripts/plugins/docker/shim/shim.go" > "$w/overlay.json" <<'NODE'
const fs = require("fs"), path = require("path");
const [up, virt, shim] = process.argv.slice(2);
const Replace = {};
(function walk(rel) {
  for (const e of fs.readdirSync(path.join(up, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) walk(r);
    else if (r === "go.mod" || (r.endsWith(".go") && !r.endsWith("_test.go"))) Replace[path.join(virt, r)] = path.join(up, r);
  }
})("");
Replace[path.join(virt, "shim", "shim.go")] = shim;
console.log(JSON.stringify({ Replace }));
NODE
  bridge_build docker "$ver" "$out" "$w" -overlay "$w/overlay.json" -tags no_compose -- \
    -replace="$DOCKER_MODULE=$virt" -require="$DOCKER_MODULE@v0.0.0-00010101000000-000000000000"
}

build_github() {
  local ver=$1 out=$2 w
  w=$(mktemp -d)
  trap 'rm -rf "$w"' RETURN
  log "building lab github plugin v$ver ($GITHUB_UPSTREAM@$GITHUB_UPSTREAM_VERSION, bridge $BRIDGE; first run: several minutes)"
  bridge_build github "$ver" "$out" "$w" -- \
    -replace="github.com/hashicorp/terraform-exec=$TF_EXEC_REPLACE" -require="$GITHUB_UPSTREAM@$GITHUB_UPSTREAM_VERSION"
}

register() {   # name version binary
  local home=${CONTAINAI_PLUGIN_HOME:-$cache/pulumi-home} dir
  dir="$home/plugins/resource-$1-v$2"
  if [ -x "$dir/pulumi-resource-$1" ] && cmp -s "$3" "$dir/pulumi-resource-$1"; then return 0; fi
  PULUMI_HOME=$home pulumi plugin install resource "$1" "$2" --file "$3" >&2
}

command -v pulumi >/dev/null || { log "pulumi is not on PATH: source the toolchain env first"; exit 1; }
DV=$(sdk_version docker)
src_sum=$(cat "$here/scripts/plugins/docker/main.go" "$here/scripts/plugins/docker/shim/shim.go" | sha256sum | cut -c1-12)
key="docker-v$DV-$(go env GOOS)-$(go env GOARCH)-$src_sum"
bin="$cache/plugins/$key/pulumi-resource-docker"
mkdir -p "$(dirname "$bin")"
[ -x "$bin" ] || build_docker "$DV" "$bin"
register docker "$DV" "$bin"

GV=$(sdk_version github)
src_sum=$(sha256sum "$here/scripts/plugins/github/main.go" | cut -c1-12)
key="github-v$GV-$(go env GOOS)-$(go env GOARCH)-$src_sum"
bin="$cache/plugins/$key/pulumi-resource-github"
mkdir -p "$(dirname "$bin")"
[ -x "$bin" ] || build_github "$GV" "$bin"
register github "$GV" "$bin"

#!/usr/bin/env bash
# Build sysbox-ce .deb packages from a pinned ref and write them with their
# checksums:
#
#   <out>/sysbox-ce_<version>.linux_<arch>.deb
#   <out>/sysbox-ce_<version>.linux_<arch>.deb.sha256
#   <out>/SHA256SUMS                      (every .deb in <out>)
#
#   scripts/build-sysbox.sh --ref <commit|tag> [options]
#     --repo URL|PATH     sysbox repository            (default https://github.com/nestybox/sysbox.git)
#     --ref REF           commit or tag to build       (required)
#     --require SUB:COMMIT[:LABEL]
#                         a fix that must be in the build: COMMIT must be an ancestor
#                         of what the checkout pins in submodule SUB ("." = sysbox
#                         itself). Repeatable. Default: sysbox-fs:1302a6f (the
#                         sysbox-fs openat2 fix, see docs/sysbox-builds.md).
#     --no-default-require  drop the default requirement (forks that carry the fix differently)
#     --version V         version to stamp             (default <VERSION>+containai.<date>)
#     --date YYYYMMDD     date in the default stamp    (default today, UTC)
#     --arch amd64|arm64  target architecture          (default this machine's)
#     --work DIR          checkout directory           (default ./sysbox-build/src)
#     --out DIR           output directory             (default ./sysbox-build/out)
#     --builder pkgr|go   pkgr (default, releases): sysbox's own packaging, in Docker.
#                         go: `go build` of sysbox-runc, -fs and -mgr with the upstream
#                         Makefiles' static tags, then dpkg-deb with sysbox-pkgr's
#                         systemd units; needs no Docker builder image (Go, gcc,
#                         libseccomp-dev, pkg-config, protoc). Native arch only.
#     --submodule-url SUB=URL
#                         (go builder) fetch submodule SUB (a path: sysbox-fs,
#                         sysbox-fs/bazil, ...) from URL, a mirror: its pinned commit
#                         is still what is built. Repeatable.
#     --go-toolchain V    (go builder) GOTOOLCHAIN for the build (default go1.24.11,
#                         the go.mod's Go; see docs/sysbox-builds.md)
#   LAB BUILDS ONLY (never in a release; each one is named in the version and the
#   package description, and the default version becomes <VERSION>+lab.<names>):
#     --substitute SUB=REF  build REF of submodule SUB instead of its pin (a pin that
#                           cannot be fetched). Repeatable.
#     --patch SUB:FILE      apply FILE (git diff) inside submodule SUB. Repeatable.
#     --go-require MOD@V    require MOD at V in each substituted module before its
#                           `go mod tidy`: a package tidy cannot find in the module
#                           graph is otherwise taken at its LATEST version, which
#                           changes under you (and may need a newer Go). Repeatable.
#
# The version stamp goes into sysbox's VERSION file, which is what
# `sysbox-runc --version` reports on a host (the install step checks it).
# The package is made to depend on fuse3 instead of fuse: sysbox >= 0.7.1 calls
# fusermount3. Idempotent: a rerun reuses the checkout and rewrites the same
# outputs. The pkgr build needs Docker with privileged containers and network
# access (sysbox-pkgr builds inside a container); it is native-arch only.
#
# Tests only: BUILD_SYSBOX_TEST_BUILDER names a command run in place of the
# sysbox-pkgr build (cwd: the checkout; env ARCH, VERSION). It must leave a
# .deb where sysbox-pkgr would: sysbox-pkgr/deb/build/<arch>/<distro>/.
set -euo pipefail

repo=https://github.com/nestybox/sysbox.git
ref="" version="" date="" arch=""
work=./sysbox-build/src
out=./sysbox-build/out
requires=()
default_require="sysbox-fs:1302a6f:sysbox-fs openat2 fix"
use_default=1
builder=pkgr
go_toolchain=go1.24.11
sub_urls=() substitutes=() patches=() go_requires=()

die() { echo "build-sysbox: ERROR: $1" >&2; exit "${2:-1}"; }
log() { echo "build-sysbox: $*" >&2; }

while [ "$#" -gt 0 ]; do
  case "$1" in
    --repo) repo=${2:?--repo needs a value}; shift 2 ;;
    --ref) ref=${2:?--ref needs a value}; shift 2 ;;
    --require) requires+=("${2:?--require needs SUB:COMMIT[:LABEL]}"); shift 2 ;;
    --no-default-require) use_default=0; shift ;;
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --date) date=${2:?--date needs YYYYMMDD}; shift 2 ;;
    --arch) arch=${2:?--arch needs amd64 or arm64}; shift 2 ;;
    --work) work=${2:?--work needs a directory}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --builder) builder=${2:?--builder needs pkgr or go}; shift 2 ;;
    --submodule-url) sub_urls+=("${2:?--submodule-url needs SUB=URL}"); shift 2 ;;
    --go-toolchain) go_toolchain=${2:?--go-toolchain needs a version}; shift 2 ;;
    --substitute) substitutes+=("${2:?--substitute needs SUB=REF}"); shift 2 ;;
    --patch) patches+=("${2:?--patch needs SUB:FILE}"); shift 2 ;;
    --go-require) go_requires+=("${2:?--go-require needs MOD@VERSION}"); shift 2 ;;
    -h|--help) sed -n '2,50p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" 2 ;;
  esac
done
[ -n "$ref" ] || die "--ref is required: a commit or tag of $repo" 2
case "$builder" in pkgr|go) ;; *) die "--builder $builder: use pkgr or go" 2 ;; esac
lab=0
[ "${#substitutes[@]}" -eq 0 ] && [ "${#patches[@]}" -eq 0 ] || lab=1
if [ "$builder" = pkgr ] && { [ "$lab" = 1 ] || [ "${#sub_urls[@]}" -gt 0 ]; }; then
  die "--substitute, --patch and --submodule-url need --builder go (the release build takes sysbox's pins as they are)" 2
fi
for m in "${go_requires[@]}"; do
  [[ "$m" =~ ^[A-Za-z0-9._~/-]+@v[0-9][0-9A-Za-z.+-]*$ ]] || die "--go-require $m: expected MOD@VERSION, e.g. github.com/Azure/go-ansiterm@v0.0.0-20230124172434-306776ec8161" 2
  [ "${#substitutes[@]}" -gt 0 ] || die "--go-require $m: only a substituted module is tidied; add --substitute or drop --go-require" 2
done
for p in "${patches[@]}"; do
  f=${p#*:}
  { [ "$f" != "$p" ] && [ -f "$f" ]; } || die "--patch $p: expected SUB:FILE with FILE a readable patch" 2
done
if [ "$lab" = 1 ] && [ -n "$version" ] && [[ "$version" != *+lab* ]]; then
  die "--version $version: a build with --substitute or --patch is a lab build; its version must carry +lab" 2
fi
[ "$use_default" = 0 ] || requires=("$default_require" "${requires[@]}")
if [ -z "$arch" ]; then
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
fi
case "$arch" in amd64|arm64) ;; *) die "--arch $arch: sysbox builds amd64 and arm64 only" 2 ;; esac
[ -n "$date" ] || date=$(date -u +%Y%m%d)
[[ "$date" =~ ^[0-9]{8}$ ]] || die "--date $date is not YYYYMMDD" 2
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([+~.-][0-9A-Za-z.+~-]+)?$ ]]; then
  die "--version $version is not a version like 0.7.1 or 0.7.1+containai.20260301" 2
fi

# --- 1. check out the ref, with its submodules --------------------------------
mkdir -p "$work" "$out"
work=$(cd "$work" && pwd)
out=$(cd "$out" && pwd)
if [ ! -d "$work/.git" ]; then
  git init -q "$work"
  git -C "$work" remote add origin "$repo"
elif [ "$(git -C "$work" remote get-url origin)" != "$repo" ]; then
  git -C "$work" remote set-url origin "$repo"
fi
log "fetching $ref from $repo"
if ! git -C "$work" fetch -q --tags origin "$ref" 2>/dev/null; then
  # Servers that refuse a bare commit in a fetch: fetch branches and tags.
  git -C "$work" fetch -q --tags origin '+refs/heads/*:refs/remotes/origin/*' \
    || die "cannot fetch from $repo"
fi
commit=$(git -C "$work" rev-parse -q --verify "FETCH_HEAD^{commit}" 2>/dev/null || true)
resolved=$(git -C "$work" rev-parse -q --verify "$ref^{commit}" 2>/dev/null || true)
[ -n "$resolved" ] && commit=$resolved
[ -n "$commit" ] || die "$ref is not a commit or tag of $repo"
git -C "$work" checkout -q --force --detach "$commit"
git -C "$work" clean -qffdx

# The value of KEY in a list of KEY=VALUE (or KEY:VALUE) entries.
lookup() {
  local key=$1 sep=$2 e; shift 2
  for e in "$@"; do [ "${e%%"$sep"*}" != "$key" ] || { echo "${e#*"$sep"}"; return 0; }; done
  return 1
}
# A submodule URL from .gitmodules, resolved against its superproject's URL.
resolve_url() {
  local base=$1 url=$2
  while [[ "$url" == ../* ]]; do base=${base%/*}; url=${url#../}; done
  if [[ "$2" == ../* ]]; then echo "$base/$url"; else echo "$url"; fi
}
# Check out submodule PATH of SUPER (a directory) at its pin, or at the lab
# substitution, from its .gitmodules URL or the --submodule-url mirror.
checkout_sub() {
  local super=$1 base=$2 path=$3 name=${3##*/} dir url want pin
  dir="$super/$name"
  pin=$(git -C "$super" ls-tree HEAD "$name" | awk '$2 == "commit" {print $3}')
  [ -n "$pin" ] || die "$path is not a submodule of $repo at $ref"
  url=$(lookup "$path" = "${sub_urls[@]}") \
    || url=$(resolve_url "$base" "$(git -C "$super" config -f .gitmodules "submodule.$name.url")")
  want=$pin
  if sub=$(lookup "$path" = "${substitutes[@]}"); then want=$sub; fi
  if [ ! -e "$dir/.git" ] || [ "$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null)" != "$dir" ]; then
    rm -rf "$dir"
    git clone -q --no-checkout "$url" "$dir" || die "$path: cannot clone $url"
  fi
  git -C "$dir" remote set-url origin "$url"
  if ! git -C "$dir" rev-parse -q --verify "$want^{commit}" >/dev/null; then
    git -C "$dir" fetch -q --tags origin '+refs/heads/*:refs/remotes/origin/*' 2>/dev/null || true
  fi
  local c; c=$(git -C "$dir" rev-parse -q --verify "$want^{commit}") \
    || die "$path: $want is not in $url$( [ "$want" = "$pin" ] && echo " (the pin of $ref; a lab build may --substitute $path=<ref>)")"
  git -C "$dir" checkout -q --force --detach "$c"
  git -C "$dir" clean -qffdx
  if [ "$want" != "$pin" ]; then
    log "LAB SUBSTITUTION: $path at ${c:0:12} instead of its pin ${pin:0:12}"
  fi
  echo "$url"
}

substituted=() patched=()
if [ "$builder" = go ]; then
  # Only what the binaries and the package are made of (not the test images
  # or the k8s installers). sysbox-fs carries the FUSE library as its own
  # submodule.
  for sub in sysbox-runc sysbox-fs sysbox-ipc sysbox-libs sysbox-mgr sysbox-pkgr; do
    u=$(checkout_sub "$work" "$repo" "$sub")
    [ "$sub" != sysbox-fs ] || fs_url=$u
  done
  checkout_sub "$work/sysbox-fs" "$fs_url" sysbox-fs/bazil >/dev/null
  for e in "${substitutes[@]}"; do substituted+=("${e%%=*}=$(git -C "$work/${e%%=*}" rev-parse --short=7 HEAD)"); done
  for p in "${patches[@]}"; do
    sub=${p%%:*} f=${p#*:}
    [ -d "$work/$sub" ] || die "--patch $p: $sub is not a submodule this build checks out"
    git -C "$work/$sub" apply "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" || die "--patch $p does not apply to $sub"
    patched+=("$sub:$(basename "$f" .patch)")
    log "LAB PATCH: $(basename "$f") applied to $sub"
  done
else
  git -C "$work" submodule sync -q --recursive
  git -C "$work" submodule update -q --init --recursive --force
fi
log "checked out $ref ($commit)"

# --- 2. required fixes: ancestors of what the checkout pins -------------------
missing=()
for r in "${requires[@]}"; do
  sub=${r%%:*}; rest=${r#*:}
  fix=${rest%%:*}; label=${rest#*:}
  [ "$label" != "$rest" ] || label="fix $fix"
  dir="$work/$sub"
  [ -d "$dir" ] || die "--require $r: $sub is not a directory of $repo at $ref" 2
  head=$(git -C "$dir" rev-parse HEAD)
  if ! git -C "$dir" cat-file -e "$fix^{commit}" 2>/dev/null; then
    missing+=("$label ($sub $fix): unknown commit in $sub's history at ${head:0:12}")
  elif ! git -C "$dir" merge-base --is-ancestor "$fix" "$head"; then
    missing+=("$label ($sub $fix): not an ancestor of $sub ${head:0:12} pinned by $ref")
  else
    log "carries $label ($sub $fix)"
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  die "$ref lacks required fix(es): $(printf '%s; ' "${missing[@]}")pick a ref that includes them (or --no-default-require for a fork that fixes it differently)" 3
fi

# --- 3. stamp the version, depend on fuse3 -------------------------------------
[ -f "$work/VERSION" ] || die "$ref has no VERSION file: is $repo sysbox?"
upstream=$(tr -d ' \n' < "$work/VERSION")
# A lab build names every substitution and patch in its version
# (0.7.0+lab.mgr-aaeff6c.oom-score-adj) and its description.
lab_names="" lab_lines=()
for e in "${substituted[@]}"; do
  n=${e%%=*}; n=${n##*/}; n=${n#sysbox-}
  lab_names+=".$n-${e#*=}"
  lab_lines+=("substituted: ${e%%=*} at ${e#*=} instead of its pin")
done
for e in "${patched[@]}"; do
  lab_names+=".${e#*:}"
  lab_lines+=("lab patch: ${e#*:} (${e%%:*})")
done
if [ -z "$version" ]; then
  if [ "$lab" = 1 ]; then version="$upstream+lab$lab_names"; else version="$upstream+containai.$date"; fi
fi
printf '%s\n' "$version" > "$work/VERSION"
control="$work/sysbox-pkgr/deb/sysbox-ce/control"
[ -f "$control" ] || die "$ref has no sysbox-pkgr/deb/sysbox-ce/control: the sysbox-pkgr submodule is missing"
sed -i 's/^\(Depends:.*\)\bfuse\b/\1fuse3/' "$control"
log "version $version (upstream $upstream), arch $arch"

# --- 4. build ------------------------------------------------------------------
# The go builder: the three static binaries with the flags of the upstream
# Makefiles, then a .deb laid out as sysbox-pkgr's debian/rules lays it out
# (the binaries, its three units, its sysctl file). Left where sysbox-pkgr
# leaves its .deb.
build_go() {
  local tool need=() gobin bin tidy
  for tool in go gcc pkg-config protoc dpkg-deb; do command -v "$tool" >/dev/null || need+=("$tool"); done
  pkg-config --exists libseccomp 2>/dev/null || need+=("libseccomp-dev")
  [ -f /usr/include/google/protobuf/timestamp.proto ] || [ -f /usr/local/include/google/protobuf/timestamp.proto ] || need+=("libprotobuf-dev")
  [ "${#need[@]}" -eq 0 ] || die "the go builder needs: ${need[*]} (apt-get install golang gcc pkg-config protobuf-compiler libprotobuf-dev libseccomp-dev dpkg-dev)"
  export GOTOOLCHAIN=$go_toolchain GOFLAGS=-buildvcs=false
  gobin=$(go env GOPATH)/bin
  if [ ! -x "$gobin/protoc-gen-go" ]; then
    log "installing protoc-gen-go v1.5.4 (sysbox-ipc's gRPC code generator)"
    GOBIN=$gobin go install github.com/golang/protobuf/protoc-gen-go@v1.5.4 >&2
  fi
  log "generating sysbox-ipc's gRPC code"
  PATH=$gobin:$PATH make -C "$work/sysbox-ipc" sysbox-ipc >&2
  # A module whose pin was substituted may need its requirements tidied
  # against the other components (sysbox-mgr aaeff6c with v0.7.0's libs).
  for e in "${substituted[@]}"; do
    [ -f "$work/${e%%=*}/go.mod" ] || continue
    log "LAB: go mod tidy in ${e%%=*} (substituted)${go_requires[*]:+, with ${go_requires[*]}}"
    for m in "${go_requires[@]}"; do (cd "$work/${e%%=*}" && go mod edit -require="$m"); done
    tidy=$(cd "$work/${e%%=*}" && go mod tidy 2>&1) || { printf '%s\n' "$tidy" >&2; die "go mod tidy failed in ${e%%=*}"; }
    [ -z "$tidy" ] || printf '%s\n' "$tidy" >&2
    # A package found at the latest version of its module is a build that
    # changes under you: refuse it, naming the pin to add.
    if grep -q '^go: finding module for package' <<<"$tidy"; then
      die "go mod tidy in ${e%%=*} took the LATEST version of: $(sed -n 's/^go: found \([^ ]*\) in \([^ ]*\) \(.*\)$/\2@\3 (for \1)/p' <<<"$tidy" | sort -u | tr '\n' ' ')— pin each with --go-require MOD@VERSION"
    fi
  done
  bin="$work/.lab-bin" && rm -rf "$bin" && mkdir -p "$bin"
  commit_of() { git -C "$work/$1" rev-parse --short=8 HEAD; }
  local lab_mark=""; [ "$lab" = 1 ] && lab_mark="+lab"
  local ld="-X 'main.edition=CE' -X main.version=$version"
  log "go build sysbox-runc ($GOTOOLCHAIN)"
  (cd "$work/sysbox-runc" && CGO_ENABLED=1 go build -trimpath -tags "seccomp apparmor idmapped_mnt netgo osusergo" \
    -ldflags "-extldflags -static $ld -X main.commitId=$(commit_of sysbox-runc)$lab_mark" -o "$bin/sysbox-runc" . >&2)
  log "go build sysbox-fs"
  (cd "$work/sysbox-fs" && CGO_ENABLED=1 go build -trimpath -tags "netgo osusergo" \
    -ldflags "-extldflags -static $ld -X main.commitId=$(commit_of sysbox-fs)$lab_mark" -o "$bin/sysbox-fs" ./cmd/sysbox-fs >&2)
  log "go build sysbox-mgr"
  (cd "$work/sysbox-mgr" && CGO_ENABLED=1 go build -trimpath -tags "idmapped_mnt netgo osusergo" \
    -ldflags "-extldflags -static $ld -X main.commitId=$(commit_of sysbox-mgr)$lab_mark" -o "$bin/sysbox-mgr" . >&2)

  local root="$work/.lab-root" pkgr="$work/sysbox-pkgr" desc shown_repo=$repo
  # A local path says nothing on another machine (and would change the bytes).
  [[ "$repo" == *://* ]] || shown_repo=${repo##*/}
  rm -rf "$root"
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/lib/sysctl.d"
  install -m 0755 "$bin"/sysbox-runc "$bin"/sysbox-fs "$bin"/sysbox-mgr "$root/usr/bin/"
  install -m 0644 "$pkgr"/systemd/sysbox.service "$pkgr"/systemd/sysbox-mgr.service "$pkgr"/systemd/sysbox-fs.service "$root/lib/systemd/system/"
  install -m 0644 "$pkgr/systemd/99-sysbox-sysctl.conf" "$root/lib/sysctl.d/"
  if [ "$lab" = 1 ]; then
    desc="Sysbox CE $upstream, LAB BUILD (containai-infra): not an upstream release"
  else
    desc="Sysbox CE $upstream (containai-infra build, go builder)"
  fi
  {
    echo "Package: sysbox-ce"
    echo "Version: $version.linux"
    echo "Architecture: $arch"
    echo "Maintainer: containai-infra <sysbox-builds@containai.invalid>"
    echo "Pre-Depends: jq"
    # fuse3: this sysbox-fs execs fusermount3. kmod: sysbox-mgr's preflight needs modprobe.
    echo "Depends: jq, fuse3, lsb-release, rsync, iptables, kmod"
    echo "Section: admin"
    echo "Priority: optional"
    echo "Homepage: https://github.com/nestybox/sysbox"
    echo "Description: $desc"
    echo " Built by containai-infra scripts/build-sysbox.sh --builder go from ${shown_repo:-$repo}"
    echo " at $ref ($commit)."
    for l in "${lab_lines[@]}"; do echo " $l"; done
  } > "$root/DEBIAN/control"
  # The same bytes for the same inputs, so stacks can pin the sha256.
  chmod -R go-w "$root"
  find "$root" -exec touch -h -d @0 {} +
  mkdir -p "$pkgr/deb/build/$arch/generic"
  SOURCE_DATE_EPOCH=0 dpkg-deb --root-owner-group -Zgzip --build "$root" \
    "$pkgr/deb/build/$arch/generic/sysbox-ce_$version.linux_$arch.deb" >/dev/null
  rm -rf "$root" "$bin"
}

# (pkgr: sysbox-pkgr's generic deb target)
rm -rf "$work/sysbox-pkgr/deb/build"
native=$(case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; esac)
if [ "$builder" = go ]; then
  [ "$arch" = "$native" ] || die "the go builder builds for this machine's arch only; build $arch on an $arch machine"
  build_go
elif [ -n "${BUILD_SYSBOX_TEST_BUILDER:-}" ]; then
  log "TEST BUILDER instead of sysbox-pkgr: $BUILD_SYSBOX_TEST_BUILDER"
  (cd "$work" && ARCH=$arch VERSION=$version bash -c "$BUILD_SYSBOX_TEST_BUILDER")
else
  [ "$arch" = "$native" ] || die "sysbox-pkgr builds for this machine's arch only; build $arch on an $arch machine"
  ln -sfn ../ "$work/sysbox-pkgr/sources/sysbox"
  make -C "$work/sysbox-pkgr/deb" generic EDITION=ce >&2
fi

# --- 5. outputs: name, checksum, SHA256SUMS ------------------------------------
mapfile -t debs < <(find "$work/sysbox-pkgr/deb/build/$arch" -name 'sysbox-ce_*.deb' -type f 2>/dev/null | sort)
[ "${#debs[@]}" -eq 1 ] || die "expected one sysbox-ce .deb under sysbox-pkgr/deb/build/$arch, found ${#debs[@]}"
name="sysbox-ce_${version}.linux_${arch}.deb"
tmp=$(mktemp "$out/.$name.XXXXXX")
cp "${debs[0]}" "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$out/$name"
(cd "$out" && sha256sum "$name" > "$name.sha256.tmp" && mv -f "$name.sha256.tmp" "$name.sha256")
(cd "$out" && cat ./*.deb.sha256 2>/dev/null | sort -k2 > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
log "wrote $out/$name ($(cut -d' ' -f1 "$out/$name.sha256"))"
echo "$out/$name"

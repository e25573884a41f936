#!/usr/bin/env bash
# Build sysbox-ce .deb packages from a pinned ref, with sysbox's own packaging
# (sysbox-pkgr, generic deb target), and write them with their checksums:
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
#
# The version stamp goes into sysbox's VERSION file, which is what
# `sysbox-runc --version` reports on a host (the install step checks it).
# The package is made to depend on fuse3 instead of fuse: sysbox >= 0.7.1 calls
# fusermount3. Idempotent: a rerun reuses the checkout and rewrites the same
# outputs. The real build needs Docker with privileged containers and network
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
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" 2 ;;
  esac
done
[ -n "$ref" ] || die "--ref is required: a commit or tag of $repo" 2
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
git -C "$work" clean -qfdx
git -C "$work" submodule sync -q --recursive
git -C "$work" submodule update -q --init --recursive --force
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
[ -n "$version" ] || version="$upstream+containai.$date"
printf '%s\n' "$version" > "$work/VERSION"
control="$work/sysbox-pkgr/deb/sysbox-ce/control"
[ -f "$control" ] || die "$ref has no sysbox-pkgr/deb/sysbox-ce/control: the sysbox-pkgr submodule is missing"
sed -i 's/^\(Depends:.*\)\bfuse\b/\1fuse3/' "$control"
log "version $version (upstream $upstream), arch $arch"

# --- 4. build with sysbox-pkgr (generic deb target) ---------------------------
rm -rf "$work/sysbox-pkgr/deb/build"
if [ -n "${BUILD_SYSBOX_TEST_BUILDER:-}" ]; then
  log "TEST BUILDER instead of sysbox-pkgr: $BUILD_SYSBOX_TEST_BUILDER"
  (cd "$work" && ARCH=$arch VERSION=$version bash -c "$BUILD_SYSBOX_TEST_BUILDER")
else
  [ "$arch" = "$(case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; esac)" ] \
    || die "sysbox-pkgr builds for this machine's arch only; build $arch on an $arch machine"
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

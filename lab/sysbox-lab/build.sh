#!/usr/bin/env bash
# Build a LAB BUILD of sysbox-ce (real sysbox, from source) for the lab hosts,
# with the release pipeline's own script (scripts/build-sysbox.sh, go builder)
# and the upstream sources vendored as git bundles.
#
#   lab/sysbox-lab/build.sh v0.7.0|v0.6.7 OUTDIR   → prints OUTDIR/sysbox-ce_<version>.linux_<arch>.deb
#   lab/sysbox-lab/build.sh v0.7.0-revN OUTDIR     (N = 2..9) the same sources built again
#                                                   under the version <v0.7.0's>.revN
#
# Revisions exist for the tests of our install, drift and upgrade logic, which
# need several installable versions of real sysbox (test/lab/converge.test.ts):
# each one is a full build of the v0.7.0 lab build's sources and patches, only
# its version stamp differs (so `sysbox-runc --version` tells them apart).
#
# A lab build is NOT an upstream release: pins that cannot be fetched here are
# substituted and two lab patches are applied (patches/), and each one is
# named in the package's version (0.7.0+lab.<names>) and description. v0.6.7 is
# the negative control: it lacks the sysbox-fs openat2 fix (1302a6f), which
# the lab tests show failing; it is built with --no-default-require for that.
#
# Sources: SYSBOX_SOURCES (default ../shared/vendor/sysbox beside the checkout),
# a directory of <repo>.bundle files; see its README. Cached in OUTDIR by a
# hash of the bundles' bytes (not their paths: CI's checkout lives elsewhere),
# the patches and both build scripts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tag=${1:?v0.7.0 or v0.6.7}
out=${2:?output directory}
src=${SYSBOX_SOURCES:-$root/../shared/vendor/sysbox}
[ -f "$src/sysbox.bundle" ] || { echo "sysbox-lab: no sysbox sources at $src (set SYSBOX_SOURCES to the vendored bundles)" >&2; exit 1; }
src=$(cd "$src" && pwd)
p="$here/patches"

common=(--builder go --repo "$src/sysbox.bundle" --ref "$tag"
  --submodule-url "sysbox-runc=$src/sysbox-runc.bundle"
  --submodule-url "sysbox-fs=$src/sysbox-fs.bundle"
  --submodule-url "sysbox-ipc=$src/sysbox-ipc.bundle"
  --submodule-url "sysbox-libs=$src/sysbox-libs.bundle"
  --submodule-url "sysbox-mgr=$src/sysbox-mgr.bundle"
  --submodule-url "sysbox-pkgr=$src/sysbox-pkgr.bundle"
  --patch "sysbox-libs:$p/no-modules.patch"
  --patch "sysbox-runc:$p/oom-adj.patch")
base=$tag rev=""
if [[ "$tag" =~ ^(v0\.7\.0)-rev([2-9])$ ]]; then base=${BASH_REMATCH[1]} rev=rev${BASH_REMATCH[2]}; fi
case "$base" in
  v0.7.0)
    # Pins not in any reachable source: mgr bff3721 (v0.6.7's aaeff6c instead),
    # libs 9b42cd4 (the rebuilt mirror's tag of its tree), pkgr b8403a90 (units
    # only), fuse fork 5ce3194 (upstream bazil/fuse). sysbox-mgr's tidy must
    # find go-ansiterm (Windows-only, never linked); pinned at what moby's
    # go.sum has, since its latest needs a newer Go than the build's.
    args=("${common[@]}"
      --submodule-url "sysbox-fs/bazil=$src/bazil-fuse.bundle"
      --substitute sysbox-libs=v0.7.0-pin --substitute sysbox-mgr=aaeff6c
      --substitute sysbox-pkgr=47ab416 --substitute sysbox-fs/bazil=62a210f
      --go-require github.com/Azure/go-ansiterm@v0.0.0-20230124172434-306776ec8161)
    ;;
  v0.6.7)
    args=("${common[@]}" --no-default-require
      --submodule-url "sysbox-fs/bazil=$src/nestybox-fuse.bundle"
      --substitute sysbox-libs=v0.6.7-pin --substitute sysbox-fs/bazil=76fedf6
      --patch "sysbox-fs/bazil:$p/fuse-module-path.patch")
    ;;
  *) echo "sysbox-lab: unknown tag $tag (v0.7.0, v0.7.0-rev2..9 or v0.6.7)" >&2; exit 2 ;;
esac
if [ -n "$rev" ]; then
  # The base build's version (built first, or taken from its cache, in the
  # OUTDIR beside this one, as lab/lab.sh lays them out), plus .revN.
  first=$(bash "$0" "$base" "$(dirname "$out")/$base")
  v=$(basename "$first"); v=${v#sysbox-ce_}; v=${v%.linux_*.deb}
  args+=(--version "$v.$rev")
fi

mkdir -p "$out"
key=$( { echo "$tag"; cat "$0" "$root/scripts/build-sysbox.sh" "$p"/*.patch; cat "$src"/*.bundle | sha256sum; } | sha256sum | cut -c1-16)
if [ "$(cat "$out/.src" 2>/dev/null)" = "$key" ] && [ -f "$out/.deb" ] && [ -f "$(cat "$out/.deb")" ]; then
  cat "$out/.deb"
  exit 0
fi
echo "sysbox-lab: building a LAB BUILD of sysbox $tag from $src (a few minutes, once)" >&2
started=$(date +%s)
deb=$(bash "$root/scripts/build-sysbox.sh" "${args[@]}" --work "$out/src" --out "$out")
echo "sysbox-lab: built $deb in $(( $(date +%s) - started )) s" >&2
echo "$deb" > "$out/.deb"
echo "$key" > "$out/.src"
echo "$deb"

#!/usr/bin/env bash
# Load an agent image from a checksummed `docker save` archive into an
# isolated daemon, for hosts that reach no registry. Does nothing when the
# daemon already has the image.
# Env: SOCKET IMAGE ARCHIVE_URL ARCHIVE_SHA256
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }

if dk image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi
shown=$(redact_url "$ARCHIVE_URL")
mkdir -p /var/tmp/containai
tmp=$(mktemp /var/tmp/containai/image.XXXXXX)
trap 'rm -f "$tmp"' EXIT
echo "downloading $shown" >&2
curl -fsSL --retry 3 --connect-timeout 15 -o "$tmp" "$ARCHIVE_URL" || die "cannot download the image archive $shown for $IMAGE"
got=$(sha256sum "$tmp" | cut -d' ' -f1)
[ "$got" = "$ARCHIVE_SHA256" ] || die "the image archive $shown has sha256 $got, not the pinned $ARCHIVE_SHA256 (agents[].imageArchive.sha256); nothing was loaded"
dk load -q -i "$tmp" >&2
dk image inspect "$IMAGE" >/dev/null 2>&1 || die "the archive $shown loaded, but it does not hold $IMAGE (check its tags: docker load lists them)"

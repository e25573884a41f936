#!/usr/bin/env bash
# TCP ports something listens on, on any address of the host (read-only).
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
command -v ss >/dev/null 2>&1 || die "ss (iproute2) is missing on the host; it is needed to find free agent SSH ports"
ports=$(ss -Htln 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}' | sort -un | tr '\n' ' ')
echo "listening=${ports% }"

#!/usr/bin/env bash
# Env: ENGINE_PACKAGE
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
if pkg_installed "$ENGINE_PACKAGE"; then echo package=installed; else echo package=missing; fi

#!/usr/bin/env bash
# Shared setup for lab runs: install what is needed, compile, start the given
# lab hosts, serve the sysbox test double and the lab agent image archives.
#   scripts/lab-prepare.sh I [J ...]    (dev: 1, lab tests: 2 3 4, bench: 5 6 7 8)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
bash lab/lab.sh hosts "${@:-1}"
bash lab/lab.sh sysbox-double 0.7.1 >/dev/null
bash lab/lab.sh agent-image >/dev/null

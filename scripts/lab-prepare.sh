#!/usr/bin/env bash
# Shared setup for lab runs: install what is needed, compile, start the given
# lab hosts, serve the sysbox test double, the lab builds of real sysbox and
# the lab agent image archives.
#   scripts/lab-prepare.sh I [J ...]    (dev: 1, lab tests: 2 3 4, bench: 5 6 7 8)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
bash lab/lab.sh hosts "${@:-1}"
bash lab/lab.sh sysbox-double 0.7.1+testdouble >/dev/null
bash lab/lab.sh agent-image >/dev/null
# Real sysbox: the lab builds (v0.7.0, two revisions of it for the upgrade
# tests, and v0.6.7 the negative control) and agent images with Docker inside.
# Built once, cached under the lab cache.
bash lab/lab.sh sysbox-lab v0.7.0 v0.7.0-rev2 v0.7.0-rev3 v0.6.7 >/dev/null
bash lab/lab.sh dind-images >/dev/null

#!/usr/bin/env bash
# npm run restore -- --stack S --agent A [--snapshot ID] [--path P]: restore an
# agent's data from its backups (components/backup/restore.ts, Automation API)
# on the stack's host. Runs against the stacks of the project in --cwd
# (default: this checkout) on whatever backend it uses (PULUMI_BACKEND_URL).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/node-cli.sh" components/backup/restore "$@"

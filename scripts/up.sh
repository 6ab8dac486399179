#!/usr/bin/env bash
# Brings graylane up on this machine with demo traffic: prepares the machine, then `graylane up`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
graylane_use_pinned_node
bash scripts/bootstrap.sh
exec node packages/cli/dist/main.js up "$@"

#!/usr/bin/env bash
# Runs every check of every package — build, lint, typecheck, unit, integration and end-to-end
# tests against real NATS, Redis and ClickHouse — then prints one summary line for all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Node.js first on PATH for everything below (bootstrap installs it if needed).
# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
graylane_use_pinned_node
bash scripts/bootstrap.sh --tests
rm -f ./*/*/.vitest-report.json test/.vitest-report.json infra/test/.vitest-report.json

printf '\n==> lint, typecheck and tests (turbo run lint typecheck test)\n'
status=0
pnpm exec turbo run lint typecheck test --concurrency=2 --continue || status=$?
node scripts/summarize-tests.mjs || status=$?
exit $status

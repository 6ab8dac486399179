#!/usr/bin/env bash
# Makes a fresh Debian/Ubuntu machine with Node.js and npm ready: the Node.js pinned in .node-version
# (installed into .runtime/ when the machine's differs), pnpm, the servers graylane runs on
# (nats-server, redis-server, clickhouse-server), the workspace's dependencies, and a build.
# With --tests (scripts/test.sh) also Chromium, for the dashboard's browser test; `up` does not need it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
graylane_use_pinned_node

if ! command -v pnpm >/dev/null 2>&1; then
  step "installing pnpm 10 with npm"
  npm install -g pnpm@10 >/dev/null
fi

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/sbin/clickhouse-server ] || command -v clickhouse-server >/dev/null 2>&1 || missing+=(clickhouse-server)
# The analytics dashboard's browser test drives this Chromium through playwright-core (never a
# downloaded browser). Installed where apt-get can; elsewhere only that test needs it, so `up` goes on.
if [ "${1:-}" = "--tests" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing+=(chromium)
  else
    echo "note: the dashboard's browser test needs Chromium at /usr/bin/chromium (Debian: sudo apt-get install chromium) and fails without it." >&2
  fi
fi
# infra/test renders the Kubernetes overlays with `kubectl kustomize`, which needs kubectl 1.21+
# (kustomize v4+: components, labels). Installed from apt when a package named kubectl is in its
# sources (Google's or Kubernetes' repository); Debian bookworm's own kubernetes-client is 1.20,
# too old, so it is not used. Without one, only infra/test fails, naming what is missing.
if [ "${1:-}" = "--tests" ] && ! command -v kubectl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && apt-cache show kubectl >/dev/null 2>&1; then
    missing+=(kubectl)
  else
    echo "note: infra/test renders the Kubernetes manifests with kubectl 1.21 or newer and fails without it (https://kubernetes.io/docs/tasks/tools/)." >&2
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "graylane's tests and 'graylane up' need: ${missing[*]}." >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) or run this as root." >&2
    exit 1
  fi
fi

step "installing dependencies (pnpm install)"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

step "building (turbo run build)"
pnpm exec turbo run build --output-logs=errors-only

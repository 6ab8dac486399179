import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCompose } from './compose.js';
import { readText, root } from './repo.js';

// infra/Dockerfile, read as text: no engine builds it here (see `pnpm test:containers`).
const dockerfile = readText('infra', 'Dockerfile');
const lines = dockerfile.split('\n').filter((line) => !line.trimStart().startsWith('#'));
const instructions = lines.join('\n').replace(/\\\n/g, ' ');
const stages = instructions.split(/^FROM /m).slice(1);
const runtime = stages.at(-1) ?? '';

describe('infra/Dockerfile', () => {
  it('is based on the Node.js the repository pins, slim bookworm', () => {
    const pinned = readText('.node-version').trim();
    expect(instructions).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${pinned.replace(/\./g, '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`, 'm'));
    for (const stage of stages) expect(stage.startsWith('${NODE_IMAGE}')).toBe(true);
  });

  it('installs the pnpm that package.json names as packageManager', () => {
    const { packageManager } = JSON.parse(readText('package.json')) as { packageManager: string };
    expect(instructions).toContain(`ARG PNPM_VERSION=${packageManager.replace(/^pnpm@/, '')}`);
    expect(instructions).toContain('npm install -g pnpm@${PNPM_VERSION}');
  });

  it('builds in one stage and runs from another that holds no sources and no devDependencies', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/AS build/);
    expect(stages[0]).toContain('pnpm install --prod --frozen-lockfile --offline');
    // The runtime stage takes only the assembled /app from the build stage: no COPY of the context.
    const copies = runtime.split('\n').filter((line) => line.startsWith('COPY'));
    expect(copies).toEqual(['COPY --from=build /app /app']);
    expect(runtime).not.toMatch(/pnpm install|npm install/);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK', () => {
    const user = /^USER (\S+)$/m.exec(runtime)?.[1] ?? '';
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "\/app\/healthcheck\.mjs"\]$/m);
    expect(existsSync(join(root, 'infra', 'image', 'healthcheck.mjs'))).toBe(true);
  });

  it('copies every package an entry file needs, and each entry file the deployments run is built from a source', () => {
    const copied = /for dir in ([^;]+); do/.exec(instructions)?.[1]?.split(/\s+/).filter(Boolean) ?? [];
    const compose = { ...readCompose('compose.yaml').services, ...readCompose('compose.demo.yaml').services };
    const entries = new Set(Object.values(compose).flatMap((s) => (s.command?.[0] === 'node' ? [s.command[1] ?? ''] : [])));
    entries.add('packages/cli/dist/main.js');
    for (const entry of entries) {
      const dir = entry.split('/').slice(0, 2).join('/');
      expect(copied, entry).toContain(dir);
      expect(existsSync(join(root, entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts'))), entry).toBe(true);
      // …and the workspace packages it depends on.
      const { dependencies = {} } = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const [name, version] of Object.entries(dependencies)) {
        if (version.startsWith('workspace:')) expect(copied, `${entry} needs ${name}`).toContain(`packages/${name.replace('@graylane/', '')}`);
      }
    }
  });

  it('keeps secrets and host builds out of the build context', () => {
    const ignore = readText('infra', 'Dockerfile.dockerignore');
    for (const pattern of ['**/node_modules', '**/dist', '**/.env', '.runtime', 'infra/k8s/overlays/*/secrets']) expect(ignore).toContain(pattern);
  });
});

describe('NATS configuration copies', () => {
  it('kustomize reads byte-identical copies of infra/nats (it cannot read files outside a kustomization)', () => {
    const original = (file: string): string => readText('infra', 'nats', file);
    expect(readText('infra', 'k8s', 'components', 'nats', 'nats-server.conf')).toBe(original('nats-server.conf'));
    expect(readText('infra', 'k8s', 'components', 'nats', 'permissions.conf')).toBe(original('permissions.conf'));
    expect(readText('infra', 'k8s', 'overlays', 'production', 'permissions.conf')).toBe(original('permissions.conf'));
  });

  it('the chart values and the shipped server config define the same users', () => {
    const users = (text: string): string[] => [...text.matchAll(/user: ([a-z-]+)/g)].map((m) => m[1] ?? '').sort();
    expect(users(readText('infra', 'k8s', 'helm', 'nats-values.yaml'))).toEqual(users(readText('infra', 'nats', 'nats-server.conf')));
  });
});

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeDir, readCompose } from './compose.js';
import { k8sCopy, kustomize, podSpec, readText, WORKLOAD_KINDS, type K8sObject } from './repo.js';

// Every environment variable the shipped deployments hand to graylane's own containers, and every
// variable the compose files read from the user's environment, is documented in
// docs/configuration.md (as `NAME` in its text). Variables of the third-party server images
// (NATS, Redis, ClickHouse) belong to those images' documentation and are not listed.
const GRAYLANE_IMAGE = /(^|\/)graylane\/node(:|@|$)/;
const documented = new Set([...readText('docs', 'configuration.md').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
let rendered: K8sObject[] = [];

beforeAll(() => {
  const dir = k8sCopy();
  rendered = ['overlays/demo', 'overlays/production', 'jobs/apply-rollout'].flatMap((overlay) => kustomize(join(dir, overlay)));
});

function kubernetesVariables(): Map<string, string> {
  const found = new Map<string, string>();
  for (const workload of rendered.filter((o) => WORKLOAD_KINDS.has(o.kind))) {
    for (const container of podSpec(workload)?.containers ?? []) {
      if (!GRAYLANE_IMAGE.test(container.image)) continue;
      for (const variable of container.env ?? []) found.set(variable.name, `${workload.metadata.name}`);
      for (const source of container.envFrom ?? []) {
        const map = rendered.find((o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef?.name) as { data?: Record<string, string> } | undefined;
        for (const name of Object.keys(map?.data ?? {})) found.set(name, `${workload.metadata.name} (ConfigMap)`);
      }
    }
  }
  return found;
}

function composeVariables(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of ['compose.yaml', 'compose.demo.yaml']) {
    for (const [name, service] of Object.entries(readCompose(file).services)) {
      const image = service.image ?? readCompose('compose.yaml').services[name]?.image ?? '';
      if (!image.includes('GRAYLANE_IMAGE')) continue;
      for (const variable of Object.keys(service.environment ?? {})) found.set(variable, `${file} ${name}`);
    }
    // What compose itself reads from .env or the shell: ${NAME…}.
    for (const match of readFileSync(join(composeDir, file), 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)) found.set(match[1] ?? '', `${file} (interpolated)`);
  }
  return found;
}

describe('docs/configuration.md documents the deployments’ variables', () => {
  it('every variable the Kubernetes manifests set for graylane containers', () => {
    const variables = kubernetesVariables();
    expect(variables.size).toBeGreaterThan(15);
    expect([...variables].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (${where})`)).toEqual([]);
  });

  it('every variable compose sets for graylane containers or reads from .env', () => {
    const variables = composeVariables();
    expect(variables.size).toBeGreaterThan(20);
    expect([...variables].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (${where})`)).toEqual([]);
  });
});

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { unknownFields, validate } from './k8s-schema.js';
import { k8sCopy, kustomize, type K8sObject } from './repo.js';

// `kubectl kustomize` renders every overlay, and each rendered object is valid for the
// Kubernetes API, unknown fields included.
const packageDir = join(import.meta.dirname, '..');
const rendered: Record<string, K8sObject[]> = {};

beforeAll(() => {
  const dir = k8sCopy();
  // The optional ServiceMonitor component, enabled as the production overlay's comment says.
  const production = readFileSync(join(dir, 'overlays', 'production', 'kustomization.yaml'), 'utf8');
  const enabled = production.replace('  # - ../../components/service-monitor', '  - ../../components/service-monitor');
  expect(enabled).not.toBe(production);
  cpSync(join(dir, 'overlays', 'production'), join(dir, 'overlays', 'monitored'), { recursive: true });
  writeFileSync(join(dir, 'overlays', 'monitored', 'kustomization.yaml'), enabled);
  for (const overlay of ['overlays/demo', 'overlays/production', 'overlays/monitored', 'jobs/apply-rollout']) rendered[overlay] = kustomize(join(dir, overlay));
});

describe('kubectl kustomize', () => {
  it.each(['overlays/demo', 'overlays/production', 'overlays/monitored', 'jobs/apply-rollout'])('renders %s', (overlay) => {
    expect(rendered[overlay]?.length ?? 0).toBeGreaterThan(overlay.startsWith('jobs') ? 1 : 20);
    for (const object of rendered[overlay] ?? []) {
      expect(object.metadata.namespace ?? (object.kind === 'Namespace' ? 'graylane' : undefined), `${object.kind}/${object.metadata.name}`).toBe('graylane');
    }
  });

  it('the monitored variant adds the ServiceMonitors', () => {
    expect(rendered['overlays/monitored']?.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name).sort()).toEqual([
      'graylane-analytics',
      'graylane-config',
      'graylane-proxy',
    ]);
  });
});

describe('rendered objects against the Kubernetes schemas (kubernetes-models)', () => {
  it.each(['overlays/demo', 'overlays/production', 'overlays/monitored', 'jobs/apply-rollout'])('%s validates', async (overlay) => {
    const problems: string[] = [];
    for (const object of rendered[overlay] ?? []) {
      const problem = await validate(object);
      if (problem !== undefined) problems.push(`${object.kind}/${object.metadata.name}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it('has no unknown field in any object', () => {
    const all = Object.values(rendered).flat();
    expect(all.length).toBeGreaterThan(60);
    expect(unknownFields(all, packageDir)).toEqual([]);
  });

  it('catches what it is meant to: a wrong type, and an unknown field at any depth', async () => {
    const proxy = rendered['overlays/production']?.find((o) => o.kind === 'Deployment' && o.metadata.name === 'graylane-proxy') as K8sObject;
    const wrongType = structuredClone(proxy) as K8sObject & { spec: { template: { spec: { terminationGracePeriodSeconds: unknown } } } };
    wrongType.spec.template.spec.terminationGracePeriodSeconds = 'thirty';
    expect(await validate(wrongType)).toMatch(/terminationGracePeriodSeconds must be integer/);

    const typo = structuredClone(proxy) as K8sObject & { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    const container = typo.spec.template.spec.containers[0] ?? {};
    container.readinesProbe = container.readinessProbe;
    expect(await validate(typo)).toBeUndefined();
    const problems = unknownFields([typo], packageDir);
    expect(problems.length).toBe(1);
    expect(problems[0]).toMatch(/^Deployment\/graylane-proxy: .*readinesProbe.* does not exist in type 'IContainer'/);
  });
});

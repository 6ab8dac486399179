import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { k8sCopy, kustomize, podSpec, WORKLOAD_KINDS, type Container, type K8sObject } from './repo.js';

// The deployment rules of issue 16, asserted on what `kubectl kustomize` renders for each
// overlay (the objects a cluster would receive), not on the source files.
const overlays: Record<string, K8sObject[]> = {};

beforeAll(() => {
  const dir = k8sCopy();
  overlays.demo = kustomize(join(dir, 'overlays', 'demo'));
  overlays.production = kustomize(join(dir, 'overlays', 'production'));
  // The Job renders on its own (it refers to the overlay's Secret graylane-operator by name).
  overlays.job = kustomize(join(dir, 'jobs', 'apply-rollout'));
});

const find = (objects: K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const workloads = (objects: K8sObject[]): K8sObject[] => objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
const envValue = (container: Container, name: string): string | undefined => container.env?.find((e) => e.name === name)?.value;

/** Seconds a preStop hook waits: `sleep N` as exec or the native sleep action. */
function preStopSeconds(container: Container): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep !== undefined) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

describe.each(['demo', 'production'])('overlay %s', (overlay) => {
  const objects = (): K8sObject[] => overlays[overlay] ?? [];

  it('renders the three services, their Services, PDBs for proxy and config, and the proxy HPA', () => {
    for (const name of ['graylane-config', 'graylane-analytics', 'graylane-proxy']) {
      expect(find(objects(), 'Deployment', name), name).toBeDefined();
      expect(find(objects(), 'Service', name), name).toBeDefined();
    }
    for (const name of ['graylane-proxy', 'graylane-config']) {
      const pdb = find(objects(), 'PodDisruptionBudget', name) as { spec: { selector: { matchLabels: Record<string, string> }; maxUnavailable?: number } } | undefined;
      expect(pdb?.spec.selector.matchLabels['app.kubernetes.io/name'], name).toBe(name);
      expect(pdb?.spec.maxUnavailable).toBe(1);
    }
    const hpa = find(objects(), 'HorizontalPodAutoscaler', 'graylane-proxy') as unknown as {
      spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; metrics: { resource?: { name: string } }[] };
    };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'graylane-proxy' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics.map((m) => m.resource?.name)).toContain('cpu');
    // The HPA owns the replica count; a fixed one in the Deployment would fight it on every apply.
    expect((find(objects(), 'Deployment', 'graylane-proxy')?.spec as { replicas?: number }).replicas).toBeUndefined();
  });

  it('runs every pod under the restricted Pod Security profile', () => {
    expect(workloads(objects()).length).toBeGreaterThanOrEqual(overlay === 'demo' ? 9 : 5);
    for (const workload of workloads(objects())) {
      const pod = podSpec(workload);
      const where = `${workload.kind}/${workload.metadata.name}`;
      expect(pod?.securityContext?.runAsNonRoot, where).toBe(true);
      expect(Number.isInteger(pod?.securityContext?.runAsUser) && (pod?.securityContext?.runAsUser ?? 0) > 0, where).toBe(true);
      expect(pod?.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
      expect(pod?.hostNetwork ?? false, where).toBe(false);
      expect(pod?.automountServiceAccountToken, where).toBe(false);
      for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
        const context = container.securityContext;
        expect(context?.allowPrivilegeEscalation, `${where} ${container.name}`).toBe(false);
        expect(context?.readOnlyRootFilesystem, `${where} ${container.name}`).toBe(true);
        expect(context?.capabilities?.drop, `${where} ${container.name}`).toEqual(['ALL']);
        expect(context?.capabilities?.add ?? [], `${where} ${container.name}`).toEqual([]);
        expect(context?.privileged ?? false).toBe(false);
        // A read-only root needs somewhere to write: /tmp is an emptyDir in every pod.
        const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(tmp, `${where} ${container.name} /tmp`).toBeDefined();
        expect(pod?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${where} /tmp emptyDir`).toBeDefined();
      }
    }
    const namespace = objects().find((o) => o.kind === 'Namespace');
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('gives each service its own ServiceAccount without an API token', () => {
    for (const name of ['graylane-config', 'graylane-analytics', 'graylane-proxy']) {
      const account = find(objects(), 'ServiceAccount', name) as { automountServiceAccountToken?: boolean } | undefined;
      expect(account?.automountServiceAccountToken, name).toBe(false);
      expect(podSpec(find(objects(), 'Deployment', name) as K8sObject)?.serviceAccountName).toBe(name);
    }
  });

  it('probes every long-running container', () => {
    for (const workload of workloads(objects()).filter((w) => w.kind !== 'Job' && w.metadata.name !== 'demo-traffic')) {
      for (const container of podSpec(workload)?.containers ?? []) {
        const where = `${workload.metadata.name}/${container.name}`;
        expect(container.readinessProbe, where).toBeDefined();
        expect(container.livenessProbe, where).toBeDefined();
      }
    }
    // The proxy is ready only with a config: readiness asks /readyz, liveness /healthz, both on admin.
    const proxy = podSpec(find(objects(), 'Deployment', 'graylane-proxy') as K8sObject)?.containers[0];
    expect(proxy?.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'admin' } });
    expect(proxy?.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'admin' } });
  });

  // A process's shutdown gets GRAYLANE_DRAIN_GRACE_MS + 10 s (runtime's closeOnSignals), plus 5 s
  // for a primary waiting on its workers; the pod's grace must cover preStop and all of that.
  it('gives each service a preStop delay and a grace period of at least preStop + its shutdown budget', () => {
    for (const name of ['graylane-config', 'graylane-analytics', 'graylane-proxy']) {
      const pod = podSpec(find(objects(), 'Deployment', name) as K8sObject);
      const container = pod?.containers[0] as Container;
      const preStop = preStopSeconds(container);
      expect(preStop, name).toBeGreaterThanOrEqual(3);
      const drainSeconds = Number(envValue(container, 'GRAYLANE_DRAIN_GRACE_MS') ?? '10000') / 1000;
      const workers = Number(envValue(container, 'GRAYLANE_PROXY_WORKERS') ?? '1');
      const budget = drainSeconds + 10 + (name === 'graylane-proxy' && workers !== 1 ? 5 : 0);
      expect(pod?.terminationGracePeriodSeconds ?? 30, name).toBeGreaterThanOrEqual(preStop + budget);
    }
    const proxy = podSpec(find(objects(), 'Deployment', 'graylane-proxy') as K8sObject)?.containers[0] as Container;
    expect(envValue(proxy, 'GRAYLANE_DRAIN_GRACE_MS')).toBeDefined();
  });

  it('spreads proxy and config over nodes and zones', () => {
    for (const name of ['graylane-config', 'graylane-proxy']) {
      const keys = (podSpec(find(objects(), 'Deployment', name) as K8sObject)?.topologySpreadConstraints ?? []) as { topologyKey: string }[];
      expect(keys.map((k) => k.topologyKey).sort(), name).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    }
  });

  it('keeps the client address at the proxy: externalTrafficPolicy Local on its LoadBalancer', () => {
    const service = find(objects(), 'Service', 'graylane-proxy') as unknown as { spec: { type: string; externalTrafficPolicy?: string } };
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    for (const name of ['graylane-config', 'graylane-analytics', 'graylane-proxy-admin']) {
      expect((find(objects(), 'Service', name)?.spec as { type?: string }).type ?? 'ClusterIP', name).toBe('ClusterIP');
    }
  });

  it('denies by default and opens the servers to graylane pods only, admin ports to the namespace only', () => {
    type Peer = { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: unknown; ipBlock?: unknown };
    type Rule = { from?: Peer[]; ports?: { port: number }[] };
    const policies = objects().filter((o) => o.kind === 'NetworkPolicy') as unknown as {
      metadata: { name: string };
      spec: { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[]; ingress?: Rule[] };
    }[];
    const deny = policies.find((p) => p.metadata.name === 'default-deny');
    expect(deny?.spec.podSelector).toEqual({});
    expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    expect(deny?.spec.ingress).toBeUndefined();
    // Every rule admitting traffic to a server port comes from graylane's pods of this namespace.
    for (const [server, port] of [['nats', 4222], ['redis', 6379], ['clickhouse', 8123]] as const) {
      const rules = policies
        .filter((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === server)
        .flatMap((p) => p.spec.ingress ?? [])
        .filter((rule) => rule.ports?.some((p) => p.port === port));
      expect(rules.length, server).toBeGreaterThan(0);
      for (const rule of rules) expect(rule.from, server).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'graylane' } } }]);
    }
    // Admin and control ports: only from pods of this namespace (a bare podSelector), never from anywhere.
    for (const port of [9901, 8081, 8082]) {
      const rules = policies.flatMap((p) => p.spec.ingress ?? []).filter((rule) => rule.ports?.some((p) => p.port === port));
      expect(rules.length, String(port)).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.from, String(port)).toBeDefined();
        for (const peer of rule.from ?? []) expect(peer.namespaceSelector ?? peer.ipBlock, String(port)).toBeUndefined();
      }
    }
  });

  it('puts credentials only in Secrets: no ConfigMap holds a Secret value or a credential-like key', () => {
    const secretValues = objects()
      .filter((o) => o.kind === 'Secret')
      .flatMap((o) => Object.values((o as { data?: Record<string, string> }).data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')))
      .flatMap((v) => [v, ...v.split(/[:,]/)])
      .filter((v) => v.length >= 12);
    expect(secretValues.length).toBeGreaterThanOrEqual(8);
    for (const map of objects().filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, value] of Object.entries((map as { data?: Record<string, string> }).data ?? {})) {
        expect(key, `${map.metadata.name}: ${key}`).not.toMatch(/password|token|secret/i);
        for (const secret of secretValues) expect(value.includes(secret), `${map.metadata.name}/${key} holds a Secret value`).toBe(false);
      }
    }
    // And no env value spells a credential out: they come from secretKeyRef.
    for (const workload of workloads(objects())) {
      for (const container of podSpec(workload)?.containers ?? []) {
        for (const variable of container.env ?? []) {
          if (/PASSWORD|TOKEN|SECRET/.test(variable.name)) expect(variable.value, `${workload.metadata.name} ${variable.name}`).toBeUndefined();
          if (variable.value !== undefined) for (const secret of secretValues) expect(variable.value.includes(secret)).toBe(false);
        }
      }
    }
  });

  it('annotates the services for Prometheus on their metrics port', () => {
    for (const [name, port] of [['graylane-config', '8081'], ['graylane-analytics', '8082'], ['graylane-proxy', '9901']] as const) {
      const template = (find(objects(), 'Deployment', name)?.spec as { template: { metadata: { annotations: Record<string, string> } } }).template;
      expect(template.metadata.annotations, name).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': port, 'prometheus.io/path': '/metrics' });
    }
  });

  it('pins every image to an exact version (no latest, no floating major)', () => {
    for (const workload of workloads(objects())) {
      for (const container of podSpec(workload)?.containers ?? []) {
        expect(container.image, `${workload.metadata.name}`).toMatch(/^[^:@]+(:(local|\d+\.\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?))?(@sha256:[0-9a-f]{64})?$/);
        expect(container.image).toMatch(/[:@]/);
      }
    }
  });
});

describe('overlay differences', () => {
  it('demo brings its own NATS, Redis, ClickHouse and demo apps; production takes NATS from the chart', () => {
    expect(find(overlays.demo ?? [], 'StatefulSet', 'nats')).toBeDefined();
    expect(find(overlays.production ?? [], 'StatefulSet', 'nats')).toBeUndefined();
    for (const name of ['redis', 'clickhouse']) {
      expect(find(overlays.demo ?? [], 'StatefulSet', name)).toBeDefined();
      expect(find(overlays.production ?? [], 'StatefulSet', name)).toBeDefined();
    }
    expect(find(overlays.demo ?? [], 'Deployment', 'demo-backend-v1')).toBeDefined();
    expect(find(overlays.production ?? [], 'Deployment', 'demo-backend-v1')).toBeUndefined();
    // The fixed-name objects the NATS chart values read.
    expect(find(overlays.production ?? [], 'Secret', 'graylane-nats-server')).toBeDefined();
    expect(find(overlays.production ?? [], 'ConfigMap', 'graylane-nats-permissions')).toBeDefined();
    expect(podSpec(find(overlays.production ?? [], 'Deployment', 'graylane-proxy') as K8sObject)?.containers[0]?.image).toBe('registry.example.com/graylane/node:1.0.0');
  });

  it('refers only to Secrets and keys the overlay generates', () => {
    for (const overlay of ['demo', 'production']) {
      const objects = overlays[overlay] ?? [];
      const keys = new Map(
        objects.filter((o) => o.kind === 'Secret').map((o) => [o.metadata.name, Object.keys((o as { data?: Record<string, string> }).data ?? {})]),
      );
      for (const workload of workloads(objects)) {
        for (const container of podSpec(workload)?.containers ?? []) {
          for (const variable of container.env ?? []) {
            const ref = (variable.valueFrom as { secretKeyRef?: { name: string; key: string; optional?: boolean } } | undefined)?.secretKeyRef;
            if (ref === undefined || ref.optional === true) continue;
            expect(keys.get(ref.name), `${overlay}: ${workload.metadata.name} ${variable.name} → ${ref.name}`).toContain(ref.key);
          }
        }
      }
    }
  });

  it('the rollout Job runs the CLI as the operator, with the Secret the overlays generate', () => {
    const job = find(overlays.job ?? [], 'Job', 'graylane-apply-rollout') as K8sObject;
    const container = podSpec(job)?.containers[0] as Container;
    expect(container.command?.slice(0, 4)).toEqual(['node', 'packages/cli/dist/main.js', 'apply', '-f']);
    expect(envValue(container, 'GRAYLANE_NATS_USER')).toBe('operator');
    const ref = (container.env?.find((e) => e.name === 'GRAYLANE_NATS_PASSWORD')?.valueFrom as { secretKeyRef: { name: string; key: string } }).secretKeyRef;
    for (const overlay of ['demo', 'production']) {
      const secret = find(overlays[overlay] ?? [], 'Secret', ref.name) as { data: Record<string, string> } | undefined;
      expect(Object.keys(secret?.data ?? {}), overlay).toContain(ref.key);
    }
    const spec = find(overlays.job ?? [], 'ConfigMap', podSpec(job)?.volumes?.find((v) => v.name === 'spec')?.configMap?.name ?? '');
    expect((spec as unknown as { data: Record<string, string> }).data['rollout.yaml']).toContain('kind: Rollout');
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { composeFile } from './docker-stack.js';
import { DEFAULT_PORTS, portVariable, type PortName } from './ports.js';
import { repoRoot } from './repo.js';

// No Docker engine or cluster runs these in CI; this checks what can be checked without one.
interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const root = repoRoot();
const compose = parse(readFileSync(composeFile(root), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

describe('infra/docker-compose.yml', () => {
  const services = compose.services;

  it('has the servers, the three services, two demo backends and traffic', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['analytics', 'backend-v1', 'backend-v2', 'clickhouse', 'config', 'nats', 'proxy', 'redis', 'traffic'].sort(),
    );
    expect(services.nats?.command).toContain('-js');
    expect(services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:/);
    expect(services.traffic?.profiles).toEqual(['traffic']);
  });

  it('runs every Node process from the one image built by infra/Dockerfile, with an entry file that builds from source', () => {
    for (const name of ['config', 'analytics', 'proxy', 'backend-v1', 'backend-v2', 'traffic']) {
      const service = services[name];
      expect(service?.build).toEqual({ context: '..', dockerfile: 'infra/Dockerfile' });
      const [bin, entry] = service?.command ?? [];
      expect(bin).toBe('node');
      // dist/x.js comes from src/x.ts.
      const source = join(root, (entry ?? '').replace('/dist/', '/src/').replace(/\.js$/, '.ts'));
      expect(existsSync(source), `${name}: ${source}`).toBe(true);
    }
    expect(existsSync(join(root, 'infra', 'Dockerfile'))).toBe(true);
  });

  it('wires the services to the servers by the documented variables', () => {
    for (const name of ['config', 'analytics', 'proxy']) {
      expect(services[name]?.environment).toMatchObject({
        GRAYLANE_NATS_URL: 'nats://nats:4222',
        GRAYLANE_REDIS_URL: 'redis://redis:6379',
        GRAYLANE_CLICKHOUSE_URL: 'http://clickhouse:8123',
      });
    }
    expect(services.proxy?.environment).toMatchObject({ PORT: '8080', ADMIN_PORT: '9901' });
    expect(services.config?.environment?.PORT).toBe('8081');
    expect(services.analytics?.environment?.PORT).toBe('8082');
    expect(services['backend-v2']?.environment).toMatchObject({ PORT: '9002', DEMO_VERSION: 'v2' });
    expect(services.traffic?.environment?.TRAFFIC_URL).toBe('http://proxy:8080/');
  });

  it('closes NATS: the shipped config, a user and password per service, none built in', () => {
    expect(services.nats?.command?.slice(0, 2)).toEqual(['-c', '/etc/nats/nats-server.conf']);
    expect(existsSync(join(root, 'infra', 'nats', 'nats-server.conf'))).toBe(true);
    for (const [name, user] of [['config', 'graylane-config'], ['analytics', 'graylane-analytics'], ['proxy', 'graylane-proxy']] as const) {
      const environment = services[name]?.environment ?? {};
      expect(environment.GRAYLANE_NATS_USER).toBe(user);
      const role = user.slice('graylane-'.length).toUpperCase();
      // Required (`:?`): compose refuses to start without the generated password.
      expect(environment.GRAYLANE_NATS_PASSWORD).toMatch(new RegExp(`^\\$\\{GRAYLANE_NATS_${role}_PASSWORD:\\?`));
      expect(services.nats?.environment?.[`GRAYLANE_NATS_${role}_PASSWORD`]).toBe(environment.GRAYLANE_NATS_PASSWORD);
    }
  });

  it('publishes each host port under the variable graylane up sets, defaulting to the usual port', () => {
    const published = Object.values(services).flatMap((s) => s.ports ?? []);
    const expected = (Object.keys(DEFAULT_PORTS) as PortName[]).map((name) => `\${${portVariable(name)}:-${DEFAULT_PORTS[name]}}`);
    // An optional leading host address (127.0.0.1: publish on this machine only) is not part of the variable.
    expect(published.map((p) => p.replace(/^127\.0\.0\.1:/, '').split(':').slice(0, -1).join(':')).sort()).toEqual(expected.sort());
  });

  it('publishes the config API, analytics and the proxy admin port on loopback only', () => {
    for (const name of ['config', 'analytics']) expect(services[name]?.ports?.every((p) => p.startsWith('127.0.0.1:')), name).toBe(true);
    expect(services.proxy?.ports?.filter((p) => p.endsWith(':9901')).every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
  });
});

describe('infra/k8s', () => {
  const dir = join(root, 'infra', 'k8s');
  const documents = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({ file, doc })));

  it('is well-formed YAML with a kind on every document', () => {
    for (const { file, doc } of documents) {
      expect(doc.errors, file).toEqual([]);
      expect((doc.toJS() as { kind?: string }).kind, file).toBeTruthy();
    }
  });

  it('has a Deployment and a Service for each of the three services', () => {
    const kinds = documents.map(({ doc }) => doc.toJS() as { kind: string; metadata: { name: string } });
    for (const name of ['graylane-config', 'graylane-analytics', 'graylane-proxy']) {
      expect(kinds.some((k) => k.kind === 'Deployment' && k.metadata.name === name), name).toBe(true);
      expect(kinds.some((k) => k.kind === 'Service' && k.metadata.name === name), name).toBe(true);
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { composeFiles } from './docker-stack.js';
import { DEFAULT_PORTS, portVariable, type PortName } from './ports.js';
import { repoRoot } from './repo.js';

// What `graylane up --docker` relies on in infra/compose (no Docker engine runs these here; the
// files' own rules, schema and policies are checked by infra/test).
interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
}

const root = repoRoot();
const [productionFile, demoFile] = composeFiles(root);
const read = (file: string): { services: Record<string, ComposeService> } =>
  parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };

describe('infra/compose as graylane up --docker runs it', () => {
  it('runs the production file with the demo override', () => {
    expect(composeFiles(root).map((file) => file.slice(root.length + 1))).toEqual(['infra/compose/compose.yaml', 'infra/compose/compose.demo.yaml']);
    for (const file of composeFiles(root)) expect(existsSync(file), file).toBe(true);
  });

  it('publishes on 127.0.0.1 every port up waits on or talks to, under the variable up sets', () => {
    const demo = read(demoFile ?? '').services;
    const published = Object.values(demo).flatMap((service) => service.ports ?? []);
    for (const port of published) expect(port, port).toMatch(/^127\.0\.0\.1:/);
    const used: PortName[] = ['nats', 'config', 'analytics', 'proxyAdmin', 'backendV1', 'backendV2'];
    const expected = used.map((name) => `127.0.0.1:\${${portVariable(name)}:-${DEFAULT_PORTS[name]}}`);
    expect(published.map((port) => port.split(':').slice(0, -1).join(':')).sort()).toEqual(expected.sort());
    // The proxy's data port is the production file's GRAYLANE_PUBLISH_PORT, which up sets to its proxy port.
    expect(read(productionFile ?? '').services.proxy?.ports).toEqual(['${GRAYLANE_PUBLISH_ADDRESS:-127.0.0.1}:${GRAYLANE_PUBLISH_PORT:-8080}:8080']);
  });

  it('needs no variable that up does not generate: every required ${VAR:?} is one composeSecretsEnv passes', () => {
    const required = new Set<string>();
    for (const file of composeFiles(root)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\$\{([A-Z0-9_]+):\?/g)) required.add(match[1] ?? '');
    }
    const secretsSource = readFileSync(join(root, 'packages', 'stack', 'src', 'stack', 'secrets.ts'), 'utf8');
    const body = secretsSource.slice(secretsSource.indexOf('export function composeSecretsEnv'));
    const passed = new Set([...body.slice(0, body.indexOf('\n}\n')).matchAll(/^\s+(GRAYLANE_[A-Z0-9_]+):/gm)].map((m) => m[1]));
    expect(required.size).toBeGreaterThan(5);
    expect([...required].filter((name) => !passed.has(name))).toEqual([]);
  });

  it('connects each service as its own NATS user, with the password nats-server reads for it', () => {
    const services = read(productionFile ?? '').services;
    for (const [name, user] of [['config', 'graylane-config'], ['analytics', 'graylane-analytics'], ['proxy', 'graylane-proxy']] as const) {
      const environment = services[name]?.environment ?? {};
      expect(environment.GRAYLANE_NATS_USER).toBe(user);
      const role = user.slice('graylane-'.length).toUpperCase();
      expect(environment.GRAYLANE_NATS_PASSWORD).toMatch(new RegExp(`^\\$\\{GRAYLANE_NATS_${role}_PASSWORD:\\?`));
      expect(services.nats?.environment?.[`GRAYLANE_NATS_${role}_PASSWORD`]).toBe(environment.GRAYLANE_NATS_PASSWORD);
    }
  });

  it('reaches the demo backends by the service names the demo rollout uses', () => {
    const demo = read(demoFile ?? '').services;
    expect(demo['backend-v1']?.environment?.PORT).toBe('9001');
    expect(demo['backend-v2']?.environment?.PORT).toBe('9002');
    expect(demo.traffic?.environment?.TRAFFIC_URL).toBe('http://proxy:8080/');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { composeDir, durationMs, readCompose, type ComposeFile } from './compose.js';
import { root } from './repo.js';

// infra/compose/compose.yaml (production) and compose.demo.yaml (demo override), checked against
// the Compose Specification's schema and the deployment rules of issue 16.
const schema = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vendor', 'compose-spec.json'), 'utf8')) as object;
// The schema names its meta-schema as https://json-schema.org/draft-07/schema, an alias Ajv does
// not know; it is draft-07, which Ajv implements, so the meta-check is skipped, not the validation.
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
const validate = ajv.compile(schema);

const production = readCompose('compose.yaml');
const demo = readCompose('compose.demo.yaml');
const SERVERS = ['nats', 'redis', 'clickhouse'];
const SERVICES = ['config', 'analytics', 'proxy'];

/** The two files merged as `docker compose -f compose.yaml -f compose.demo.yaml` does, for what is checked here. */
function merged(): ComposeFile {
  const services: ComposeFile['services'] = structuredClone(production.services);
  for (const [name, override] of Object.entries(demo.services)) {
    const base = services[name];
    services[name] = base === undefined ? override : { ...base, ...override, ports: [...(base.ports ?? []), ...(override.ports ?? [])] };
  }
  return { ...production, services };
}

describe('infra/compose against the Compose Specification schema', () => {
  it.each([['compose.yaml', production], ['compose.demo.yaml', demo], ['both merged', merged()]])('%s is valid', (_name, file) => {
    const valid = validate(file);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema catches an unknown key (so the check above can fail)', () => {
    expect(validate({ services: { proxy: { image: 'x', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { proxy: { image: 'x', cap_drop: 'ALL' } } })).toBe(false);
    expect(validate({ services: { proxy: { image: 'x', healthcheck: { test: ['CMD', 'true'], retries: [] } } } })).toBe(false);
  });
});

describe('infra/compose/compose.yaml (production)', () => {
  const services = production.services;

  it('has the servers and the three services, and no demo service', () => {
    expect(Object.keys(services).sort()).toEqual([...SERVERS, ...SERVICES].sort());
  });

  it('has no top-level name (compose v1 refuses it) and no version key', () => {
    expect(production.name).toBeUndefined();
    expect(demo.name).toBeUndefined();
    expect(production.version).toBeUndefined();
  });

  it('publishes only the proxy data port, on 127.0.0.1 unless GRAYLANE_PUBLISH_ADDRESS says otherwise', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(published).toEqual(['proxy']);
    expect(services.proxy?.ports).toEqual(['${GRAYLANE_PUBLISH_ADDRESS:-127.0.0.1}:${GRAYLANE_PUBLISH_PORT:-8080}:8080']);
  });

  it('restarts, health-checks and stores every server on a named volume', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe('unless-stopped');
      expect(service.healthcheck?.test?.length ?? 0, `${name} healthcheck`).toBeGreaterThan(0);
    }
    for (const [name, path] of [['nats', '/data'], ['redis', '/data'], ['clickhouse', '/var/lib/clickhouse']] as const) {
      const volume = services[name]?.volumes?.find((v) => v.endsWith(`:${path}`));
      const volumeName = volume?.split(':')[0] ?? '';
      expect(volumeName, name).toMatch(/^[a-z][a-z-]+$/);
      expect(production.volumes, name).toHaveProperty(volumeName);
    }
  });

  // A process's shutdown gets GRAYLANE_DRAIN_GRACE_MS + 10 s (runtime's closeOnSignals); a
  // multi-worker proxy's primary waits 5 s more for its workers. Compose must not SIGKILL first.
  it('stops every service later than its shutdown budget, with a margin', () => {
    for (const name of SERVICES) {
      const drainMs = Number(services[name]?.environment?.GRAYLANE_DRAIN_GRACE_MS ?? '10000');
      const budgetMs = drainMs + 10_000 + (name === 'proxy' ? 5_000 : 0);
      expect(durationMs(services[name]?.stop_grace_period ?? '10s'), name).toBeGreaterThan(budgetMs);
    }
  });

  it('pins every server image to an exact version', () => {
    expect(services.nats?.image).toMatch(/^nats:\d+\.\d+\.\d+-alpine$/);
    expect(services.redis?.image).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/);
    expect(services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/);
  });

  it('closes NATS with the shipped config and gives ClickHouse and Redis passwords', () => {
    expect(services.nats?.command?.slice(0, 2)).toEqual(['-c', '/etc/nats/nats-server.conf']);
    expect(services.nats?.volumes).toContain('../nats:/etc/nats:ro');
    expect(services.clickhouse?.environment?.CLICKHOUSE_PASSWORD).toMatch(/^\$\{GRAYLANE_CLICKHOUSE_PASSWORD:\?/);
    expect(services.clickhouse?.environment).not.toHaveProperty('CLICKHOUSE_SKIP_USER_SETUP');
    expect(services.analytics?.environment?.GRAYLANE_CLICKHOUSE_URL).toMatch(/^http:\/\/graylane:\$\{GRAYLANE_CLICKHOUSE_PASSWORD:\?[^}]*\}@clickhouse:8123$/);
    expect(services.redis?.command).toContain('--requirepass');
  });

  it('requires every credential (${VAR:?}) instead of defaulting it to empty', () => {
    for (const name of SERVICES) {
      for (const [variable, value] of Object.entries(services[name]?.environment ?? {})) {
        if (/PASSWORD|TOKENS?$/.test(variable) && variable !== 'GRAYLANE_ANALYTICS_READ_TOKEN') expect(value, `${name} ${variable}`).toMatch(/\$\{GRAYLANE_[A-Z_]+:\?/);
      }
    }
  });

  it('runs graylane containers read-only, without capabilities or privilege escalation', () => {
    for (const name of SERVICES) {
      const service = services[name] as { read_only?: boolean; cap_drop?: string[]; security_opt?: string[]; tmpfs?: string[] };
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      expect(service.tmpfs, name).toContain('/tmp');
    }
  });

  it('ships an .env.example naming every variable the files interpolate', () => {
    const example = readFileSync(join(composeDir, '.env.example'), 'utf8');
    const named = new Set([...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const used = new Set(
      ['compose.yaml']
        .flatMap((file) => [...readFileSync(join(composeDir, file), 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)])
        .map((m) => m[1]),
    );
    expect([...used].filter((name) => !named.has(name))).toEqual([]);
    expect(readFileSync(join(composeDir, '.gitignore'), 'utf8')).toMatch(/^\.env$/m);
  });
});

describe('infra/compose/compose.demo.yaml (demo override)', () => {
  it('adds the demo backends and traffic, and publishes only on 127.0.0.1', () => {
    expect(Object.keys(demo.services).filter((name) => !production.services[name]).sort()).toEqual(['backend-v1', 'backend-v2', 'traffic']);
    for (const [name, service] of Object.entries(demo.services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    expect(demo.services.traffic?.profiles).toEqual(['traffic']);
  });

  it('runs the demo from the same image and entry files that exist in the repository', () => {
    for (const name of ['backend-v1', 'backend-v2', 'traffic']) {
      const service = demo.services[name];
      expect(service?.image, name).toBe(production.services.proxy?.image);
      const entry = service?.command?.[1] ?? '';
      expect(readFileSync(join(root, entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts')), 'utf8').length, name).toBeGreaterThan(0);
    }
  });
});

// pnpm bench:routing — decisions per second of the routing core with everything a real rollout
// uses (rules, user lists, a session binding from the local cache, regions with health), beside
// cheaper peers measured in the same run; then resident memory after 1 000 000 distinct users and
// sessions with the bounded cache, beside an unbounded per-user table (the nginx+Lua trap); then
// the ratio error of CRC32-mod-100 next to the salted bucket hash on sequential ids.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RolloutRecordV1 } from '@graylane/contracts';
import { BoundedCache, bucketOf, compileRollout, cookieValue, type PoolHealth, type RequestFacts } from '@graylane/routing';
import { printTable, type BenchRow } from './table.js';

const WEIGHT = 33.33;
const DISTINCT = 4096; // distinct requests cycled through in the throughput loops (fits the CPU cache, like a hot set)
const CACHE_ENTRIES = 100_000;
const CACHE_TTL_MS = 30_000;
const USERS = 1_000_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function record(spec: Partial<RolloutRecordV1['spec']>): RolloutRecordV1 {
  return {
    name: 'checkout',
    state: 'progressing',
    updatedAt: '2025-01-01T00:00:00.000Z',
    updatedBy: 'bench',
    spec: {
      match: { hosts: ['shop.example.com'], pathPrefix: '/checkout' },
      stable: { name: 'v1', upstreams: ['http://10.0.0.1:8080'] },
      canary: { name: 'v2', upstreams: ['http://10.0.0.2:8080'] },
      traffic: { weight: WEIGHT, stickyKey: ['header:x-user-id', 'cookie:uid', 'ip'] },
      ...spec,
    },
  };
}

const full = compileRollout(
  record({
    rules: [
      { when: { header: 'x-beta', equals: '1' }, to: 'canary' },
      { when: { cookie: 'tier', in: ['staff', 'qa'] }, to: 'canary' },
      { when: { header: 'user-agent', regex: '^LegacyBot/' }, to: 'stable' },
    ],
    users: { allow: ['tester-1', 'tester-2'], deny: ['vip-1'] },
    session: { cookie: 'SID', ttl: '30m' },
    regions: {
      from: { header: 'x-region', cidrs: { beijing: ['10.1.0.0/16'], shanghai: ['10.2.0.0/16'], guangzhou: ['10.3.0.0/16'] } },
      pools: {
        beijing: { stable: ['http://10.1.0.1:8080'], canary: ['http://10.1.0.2:8080'] },
        shanghai: { stable: ['http://10.2.0.1:8080'], canary: ['http://10.2.0.2:8080'] },
        guangzhou: { stable: ['http://10.3.0.1:8080'] },
      },
      fallback: ['shanghai', 'guangzhou'],
    },
  }),
);
const weightOnly = compileRollout(record({}));
const allHealthy: PoolHealth = { isHealthy: () => true };
// One region's canary down, so part of the traffic walks the fallback list.
const beijingCanaryDown: PoolHealth = { isHealthy: (pool) => pool.key !== 'beijing/canary' };

/** Facts of request i: user i, session i, a client address in one of three regions (by CIDR, no header). */
class BenchFacts implements RequestFacts {
  readonly host = 'shop.example.com';
  readonly path = '/checkout/cart';
  readonly clientIp: string;
  sessionBinding: string | undefined = undefined;
  override = undefined;
  listedUser = undefined;
  private readonly userId: string;
  private readonly cookieHeader: string;

  constructor(i: number) {
    this.userId = `user-${i}`;
    this.cookieHeader = `theme=dark; SID=s${i.toString(36)}x${(i * 2654435761) >>> 0}; lang=en`;
    this.clientIp = `10.${1 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
  }

  header(name: string): string | undefined {
    return name === 'x-user-id' ? this.userId : undefined;
  }

  cookie(name: string): string | undefined {
    return cookieValue(this.cookieHeader, name);
  }

  query(): string | undefined {
    return undefined;
  }
}

const requests = Array.from({ length: DISTINCT }, (_, i) => new BenchFacts(i));

/** Decisions per second of `decideOne` over the request set, best of three ~0.7 s rounds. */
function rate(decideOne: (facts: BenchFacts) => number): number {
  let best = 0;
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    let done = 0;
    const started = performance.now();
    let elapsed = 0;
    while (elapsed < 700) {
      for (let i = 0; i < DISTINCT; i++) sink += decideOne(requests[i]!);
      done += DISTINCT;
      elapsed = performance.now() - started;
    }
    best = Math.max(best, (done / elapsed) * 1000);
  }
  if (sink === -1) console.log(sink); // keeps the work observable
  return best;
}

/** CRC-32 (IEEE), the hash of the classic hand-written gray rule `crc32(uid) % 100 < weight`. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();
function crc32(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// The session cache as the proxy's BindingStore uses it: one cache per rollout, keyed by the
// session id read from the cookie on every request; filled beforehand so every lookup is a hit.
const sessionCaches = new Map([[full.name, new BoundedCache<string>(CACHE_ENTRIES, 3_600_000)]]);
const cachedBinding = (facts: BenchFacts): string | undefined => sessionCaches.get(full.name)?.get(facts.cookie('SID') ?? '', 1);
for (const facts of requests) sessionCaches.get(full.name)?.set(facts.cookie('SID') ?? '', full.bindingValue(full.decide(facts).side), 0);

const throughput: BenchRow[] = [
  { name: 'bare murmur3 bucket of the user id', values: { 'decisions/s': rate((facts) => bucketOf('checkout', facts.header('x-user-id') ?? '')) } },
  { name: 'naive crc32(uid) % 100 < weight', values: { 'decisions/s': rate((facts) => (crc32(facts.header('x-user-id') ?? '') % 100 < WEIGHT ? 1 : 0)) } },
  { name: 'foundation: weight-only decide()', values: { 'decisions/s': rate((facts) => weightOnly.decide(facts).bucket) } },
  {
    name: 'full: rules+lists+regions, no session',
    values: { 'decisions/s': rate((facts) => full.decide(facts, allHealthy).bucket) },
  },
  {
    name: 'full + session cookie + cache hit',
    values: {
      'decisions/s': rate((facts) => {
        facts.sessionBinding = cachedBinding(facts);
        return full.decide(facts, allHealthy).bucket;
      }),
    },
  },
  {
    name: 'full + session + a region canary down',
    values: {
      'decisions/s': rate((facts) => {
        facts.sessionBinding = cachedBinding(facts);
        return full.decide(facts, beijingCanaryDown).bucket;
      }),
    },
  },
];
for (const facts of requests) facts.sessionBinding = undefined;
printTable(`Routing decisions per second, one core, ${DISTINCT} distinct requests cycled (best of 3 rounds)`, throughput, {
  baseline: 'foundation: weight-only decide()',
  columns: ['decisions/s'],
  digits: 0,
});

/** RSS in MB after a full GC. */
function rssMb(): number {
  gc();
  gc();
  return process.memoryUsage().rss / 1_048_576;
}

/**
 * What the proxy does for 1 000 000 new users, each with a new session: look the session up in
 * the local cache (a miss), decide, and cache the new binding. `store` is the session table.
 * RSS growth is taken after a full GC at 200 000 users and at the end: flat means bounded.
 */
function million(store: { get(key: string): string | undefined; set(key: string, value: string): void }): { ms: number; at200k: number; at1m: number } {
  const before = rssMb();
  let at200k = 0;
  let paused = 0;
  const started = performance.now();
  for (let i = 0; i < USERS; i++) {
    const user = new BenchFacts(i);
    const key = user.cookie('SID') ?? '';
    user.sessionBinding = store.get(key);
    const decision = full.decide(user, allHealthy);
    if (decision.bindable) store.set(key, full.bindingValue(decision.side));
    if (i === 200_000) {
      const gcStarted = performance.now();
      at200k = rssMb() - before;
      paused += performance.now() - gcStarted;
    }
  }
  const ms = performance.now() - started - paused;
  return { ms, at200k, at1m: rssMb() - before };
}

let now = 0;
const bounded = new BoundedCache<string>(CACHE_ENTRIES, CACHE_TTL_MS);
const boundedRun = million({ get: (key) => bounded.get(key, (now += 0.01)), set: (key, value) => bounded.set(key, value, now) });
const boundedEntries = bounded.size;
bounded.clear();
const unbounded = new Map<string, string>();
const unboundedRun = million({ get: (key) => unbounded.get(key), set: (key, value) => unbounded.set(key, value) });
const unboundedEntries = unbounded.size;
unbounded.clear();
const boundedName = `bounded cache (${CACHE_ENTRIES} entries, ${CACHE_TTL_MS / 1000} s TTL)`;
const memoryRow = (name: string, run: typeof boundedRun, entries: number): BenchRow => ({
  name,
  values: { 'RSS MB @200k': run.at200k, 'RSS MB @1M': run.at1m, entries, 'users/s': (USERS / run.ms) * 1000 },
});
printTable(
  `Memory growth with ${USERS.toLocaleString('en')} distinct users and sessions (RSS after GC, minus RSS before)`,
  [memoryRow(boundedName, boundedRun, boundedEntries), memoryRow('unbounded Map per user (the nginx+Lua trap)', unboundedRun, unboundedEntries)],
  { baseline: boundedName, columns: ['RSS MB @200k', 'RSS MB @1M', 'entries', 'users/s'], digits: 0 },
);

/** Share of sequential ids 1..n on canary at `percent`, for both hashes. */
const ratioRows: BenchRow[] = [];
for (const percent of [1, 10, 33.33]) {
  const n = 100_000;
  let salted = 0;
  let crc = 0;
  const points = Math.round(percent * 100);
  for (let i = 1; i <= n; i++) {
    if (bucketOf('checkout', String(i)) < points) salted++;
    if (crc32(String(i)) % 100 < percent) crc++;
  }
  const sd = Math.sqrt(n * (percent / 100) * (1 - percent / 100));
  ratioRows.push({
    name: `weight ${percent} %`,
    values: {
      'salted err %': (Math.abs(salted / n - percent / 100) / (percent / 100)) * 100,
      'salted σ': Math.abs(salted - (n * percent) / 100) / sd,
      'crc32%100 err %': (Math.abs(crc / n - percent / 100) / (percent / 100)) * 100,
      'crc32%100 σ': Math.abs(crc - (n * percent) / 100) / sd,
    },
  });
}
printTable('Relative ratio error on sequential ids 1..100 000 (σ = binomial standard deviations)', ratioRows, {
  columns: ['salted err %', 'salted σ', 'crc32%100 err %', 'crc32%100 σ'],
});
console.log('\nThe machine is shared (2 cores, other engineers running tests): absolute figures are noisy, compare the ratios.');

// pnpm bench:routing — decisions per second of the proxy's own request routing (NodeRequestFacts,
// RequestDecider, BindingStore's local cache, over the routing core) with everything a real
// rollout uses (rules, user lists, a session binding from the local cache, regions with health),
// beside cheaper peers and the same rollout written by hand as straight-line code (the floor under
// any generic engine), all measured in turns in the same run; then resident memory after 1 000 000 distinct
// users and sessions with the bounded cache, beside an unbounded per-user table (the nginx+Lua
// trap); then the ratio error of CRC32-mod-100 next to the salted bucket hash on sequential ids.
// `pnpm bench:routing` builds what it needs first.
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { RolloutRecordV1 } from '@graylane/contracts';
import {
  bucketOf,
  compileRollout,
  cookieValue,
  cookieValueStart,
  lastCookieValueEnd,
  type CompiledRollout,
  type Decision,
  type PoolHealth,
  type RequestFacts,
} from '@graylane/routing';
// The proxy's own request path, through its declared entry: `NodeRequestFacts` over the request,
// `RequestDecider`, and `BindingStore`, whose `BoundedCache` answers the session lookup.
import { BindingStore, BoundedCache, NodeRequestFacts, PendingDecision, RequestDecider } from '@graylane/proxy/routing';
import { printTable, type BenchRow } from './table.js';

const WEIGHT = 33.33;
const DISTINCT = 4096; // distinct requests cycled through in the throughput loops (a hot set; its strings still leave the CPU cache between passes)
const FULL_CACHE = 100_000; // distinct sessions of the row with the proxy's default cache full
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

/** The parts of an IncomingMessage that NodeRequestFacts reads. */
interface BenchRequest {
  url: string;
  headers: Record<string, string>;
  socket: { remoteAddress: string };
}

/**
 * Redis as the binding store sees it, answering from a map. Only used to fill the local cache
 * through the store's own lookUp before a measurement; a hit never reaches it (counted, and checked).
 */
class AnsweringRedis {
  readonly bindings = new Map<string, string>();
  calls = 0;
  pipeline(): unknown {
    this.calls++;
    const results: [null, unknown][] = [];
    const chain = {
      get: (key: string) => {
        results.push([null, this.bindings.get(key) ?? null]);
        return chain;
      },
      pexpire: () => {
        results.push([null, 1]);
        return chain;
      },
      sismember: () => {
        results.push([null, 0]);
        return chain;
      },
      exec: () => Promise.resolve(results),
    };
    return chain;
  }
  set(): Promise<string> {
    this.calls++;
    return Promise.resolve('OK');
  }
}

/**
 * Request i as raw bytes: user i, session i among other cookies, a client address in one of three
 * regions (by CIDR, no region header). Each pass decodes them again into new strings, as Node's
 * HTTP parser hands the proxy new header strings for every request: a string's hash is cached in
 * the string, so reusing one string object would flatter every Map lookup keyed by a header.
 */
interface RawRequest {
  user: Buffer;
  cookie: Buffer;
  ip: Buffer;
}
const rawRequest = (i: number): RawRequest => ({
  user: Buffer.from(`user-${i}`, 'latin1'),
  cookie: Buffer.from(`theme=dark; SID=s${i.toString(36)}x${(i * 2654435761) >>> 0}; lang=en`, 'latin1'),
  ip: Buffer.from(`10.${1 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`, 'latin1'),
});
const rawRequests: RawRequest[] = Array.from({ length: DISTINCT }, (_, i) => rawRequest(i));
/** The {@link FULL_CACHE} requests, made only for the table that needs them: so many objects slow every row measured beside them. */
let manyRawRequests: RawRequest[] = [];
const hostBytes = Buffer.from('shop.example.com', 'latin1');
const urlBytes = Buffer.from('/checkout/cart?step=2', 'latin1');

/** New request objects with new strings, as the proxy gets them: the {@link DISTINCT} requests, or all of `raws`. */
function freshRequests(raws: readonly RawRequest[] = rawRequests): BenchRequest[] {
  return raws.map((raw) => ({
    url: urlBytes.toString('latin1'),
    headers: { host: hostBytes.toString('latin1'), cookie: raw.cookie.toString('latin1'), 'x-user-id': raw.user.toString('latin1') },
    socket: { remoteAddress: raw.ip.toString('latin1') },
  }));
}

/** One row of the throughput table: what it decides per request, and how to check it measured that. */
interface Subject {
  name: string;
  /** builds the proxy's facts and decides, as the proxy does per request; returns the bucket (or a code) */
  decideOne: (req: BenchRequest) => number;
  /** run untimed on a sample of each pass: false fails the row, since it did not measure what it says */
  check?: (req: BenchRequest) => boolean;
  /** the requests of one pass; {@link DISTINCT} of them unless a row needs more */
  requests?: () => BenchRequest[];
}

const ROUNDS = 8;
const SLICE_MS = 150;

/**
 * Decisions per CPU second of each subject: the best of {@link ROUNDS} slices of ~{@link SLICE_MS}
 * ms of timed work, taken in turns (subject 1, 2, … then again), so that a busy second on this
 * shared machine hits every row alike instead of the one that happened to run then. Measured one
 * after the other, the session row gave 0.68 and then 1.07 M/s in two consecutive runs here, and
 * the hand-written row came out below the engine's in one of them. CPU time of this process, not
 * wall time: the wall clock also counts the time other processes held the core. Only the
 * decisions are timed; each pass first decodes a new set of requests.
 */
function ratesOf(subjects: readonly Subject[]): number[] {
  const best = subjects.map(() => 0);
  let sink = 0;
  // The check samples every 64th request, from a start that moves by one each pass, so that over a
  // run (hundreds of passes per row) every request of the set is checked.
  let passes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    subjects.forEach(({ name, decideOne, check, requests = freshRequests }, row) => {
      let done = 0;
      let elapsed = 0;
      while (elapsed < SLICE_MS) {
        const batch = requests();
        const started = process.cpuUsage();
        for (let i = 0; i < batch.length; i++) sink += decideOne(batch[i]!);
        const used = process.cpuUsage(started);
        elapsed += (used.user + used.system) / 1000;
        done += batch.length;
        if (check !== undefined) {
          for (let i = passes++ % 64; i < batch.length; i += 64) if (!check(batch[i]!)) throw new Error(`${name}: request ${i} is not what this row measures: ${JSON.stringify(batch[i])}`);
        }
      }
      best[row] = Math.max(best[row]!, (done / elapsed) * 1000);
    });
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

// Every decider is the proxy's; the session rows use a BindingStore with the proxy's default
// cache limits whose cache was filled through its own Redis lookup, so every decision is a hit.
const redis = new AnsweringRedis();
const asRedis = redis as unknown as ConstructorParameters<typeof BindingStore>[0];
const sessionStore = new BindingStore(asRedis, { deadlineMs: 5, cacheEntries: CACHE_ENTRIES, cacheTtlMs: CACHE_TTL_MS });
const withSessions = new RequestDecider({ bindings: sessionStore, health: allHealthy });
const withoutSessions = new RequestDecider({ health: allHealthy });
const canaryDown = new RequestDecider({ bindings: sessionStore, health: beijingCanaryDown });
// The proxy's default cache, full: 100 000 sessions. Its TTL is longer than the proxy's default
// only so that filling it and measuring every row in turns fits in it; age does not change a hit.
const fullCacheStore = new BindingStore(asRedis, { deadlineMs: 5, cacheEntries: CACHE_ENTRIES, cacheTtlMs: 600_000 });
const withFullCache = new RequestDecider({ bindings: fullCacheStore, health: allHealthy });

/** Binds every session the way the proxy would, then fills the decider's local cache through lookUp. */
async function fillSessionCache(decider: RequestDecider, requests: BenchRequest[]): Promise<void> {
  for (const req of requests) {
    const facts = new NodeRequestFacts(req as unknown as IncomingMessage);
    const sid = cookieValue(req.headers.cookie, 'SID') ?? '';
    redis.bindings.set(`graylane:session:${full.name}:${sid}`, full.bindingValue(full.decide(facts).side));
    const step = decider.decide(full, facts);
    if (step instanceof PendingDecision) await decider.lookUp(step);
  }
}

const factsOf = (req: BenchRequest): RequestFacts => new NodeRequestFacts(req as unknown as IncomingMessage);
/** The bucket of the decision (-1 when none was used), NaN for no decision: the proxy would have waited for Redis. */
const bucketOf2 = (decision: Decision | PendingDecision): number => (decision instanceof PendingDecision ? Number.NaN : decision.bucket);
const reasonIs =
  (decider: RequestDecider, rollout: CompiledRollout, reasons: readonly Decision['reason'][]) =>
  (req: BenchRequest): boolean => {
    const decision = decider.decide(rollout, factsOf(req));
    return !(decision instanceof PendingDecision) && reasons.includes(decision.reason);
  };
const subjects: Subject[] = [
  { name: 'bare murmur3 bucket of the user id', decideOne: (req) => bucketOf('checkout', req.headers['x-user-id'] ?? '') },
  { name: 'naive crc32(uid) % 100 < weight', decideOne: (req) => (crc32(req.headers['x-user-id'] ?? '') % 100 < WEIGHT ? 1 : 0) },
  {
    name: 'foundation: weight-only decide()',
    decideOne: (req) => bucketOf2(withoutSessions.decide(weightOnly, factsOf(req))),
    check: reasonIs(withoutSessions, weightOnly, ['weight']),
  },
  {
    name: 'full: rules+lists+regions, no session',
    decideOne: (req) => bucketOf2(withoutSessions.decide(full, factsOf(req))),
    check: reasonIs(withoutSessions, full, ['weight']),
  },
];
/** `a.b.c.d` as a signed 32-bit number, or -1 (also for anything that is not one); what a hand-written rule would parse. */
function ipv4(text: string): number {
  let value = 0;
  let part = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x2e) {
      value = (value << 8) | part;
      part = 0;
      dots++;
    } else if (code >= 0x30 && code <= 0x39 && part < 256) {
      part = part * 10 + code - 0x30;
    } else {
      return -1;
    }
  }
  return dots === 3 && part < 256 ? (value << 8) | part : -1;
}

/**
 * The floor under any generic engine: this one rollout's decision written by hand as straight-line
 * code, the way a hand-written nginx+Lua rule is, over the same fresh request strings and the same
 * session cache class with the same entries. It does everything the engine does for these requests
 * (host and path, the region header then the CIDR ranges, the three rules, the user lists, the
 * session binding) and nothing the engine does not. The row fails if its side ever differs from the
 * engine's. What the engine costs above this row is the price of reading rollouts from config
 * instead of from code.
 */
function handWritten(): Subject {
  const cache = new BoundedCache<string>(CACHE_ENTRIES, CACHE_TTL_MS, 12_345);
  for (const req of freshRequests()) {
    const sid = cookieValue(req.headers.cookie, 'SID') ?? '';
    const binding = redis.bindings.get(`graylane:session:${full.name}:${sid}`);
    if (binding !== undefined) cache.set(sid, binding, 0);
  }
  const canary = full.bindingValue('canary');
  const stable = full.bindingValue('stable');
  const networks = [0x0a010000, 0x0a020000, 0x0a030000]; // beijing 10.1/16, shanghai 10.2/16, guangzhou 10.3/16
  const regions = ['beijing', 'shanghai', 'guangzhou'];
  const legacyBot = /^LegacyBot\//;
  /** 1 for canary, 0 for stable, plus 2 × the region's index (6 when unknown): the host and path only keep the work honest. */
  const decide = (req: BenchRequest): number => {
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const hostHeader = req.headers.host ?? '';
    const colon = hostHeader.indexOf(':');
    const host = (colon < 0 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
    if (host.length + path.length === 0) return -1;
    const headers = req.headers;
    let region = regions.indexOf(headers['x-region'] ?? '');
    if (region < 0) {
      const ip = ipv4(req.socket.remoteAddress);
      region = 3;
      for (let i = 0; i < networks.length; i++) {
        if (ip >= 0 && (ip & 0xffff0000) === networks[i]) {
          region = i;
          break;
        }
      }
    }
    const home = 2 * region;
    const cookie = headers.cookie;
    if (headers['x-beta'] === '1') return home + 1;
    const tier = cookieValue(cookie, 'tier');
    if (tier === 'staff' || tier === 'qa') return home + 1;
    const agent = headers['user-agent'];
    if (agent !== undefined && agent.length <= 1024 && legacyBot.test(agent)) return home;
    const user = headers['x-user-id'];
    if (user === 'vip-1') return home;
    if (user === 'tester-1' || user === 'tester-2') return home + 1;
    const start = cookieValueStart(cookie, 'SID');
    const binding = start < 0 || cookie === undefined ? undefined : cache.getIn(cookie, start, lastCookieValueEnd(), 1);
    if (binding === canary) return home + 1;
    if (binding === stable) return home;
    return -1; // every request here has a cached binding; the check below fails the row otherwise
  };
  const sameAsEngine = (req: BenchRequest): boolean => {
    const decision = withSessions.decide(full, factsOf(req));
    const expected = decision instanceof PendingDecision ? -2 : (decision.side === 'canary' ? 1 : 0) + 2 * (regions.includes(decision.region) ? regions.indexOf(decision.region) : 3);
    return decide(req) === expected;
  };
  return { name: 'hand-written code for this one rollout (floor)', decideOne: decide, check: sameAsEngine };
}

/**
 * A row deciding with a session binding from the local cache. The cache holds an entry for at
 * most its TTL (30 s), longer than all rows take together (about 20 s), and it is filled right
 * before them. A decision the cache could not answer would have returned undefined (the proxy
 * then asks Redis), which fails the row's reason check; Redis is also checked to be untouched.
 */
function sessionRow(name: string, decider: RequestDecider, reasons: readonly Decision['reason'][], requests?: () => BenchRequest[]): Subject {
  return { name, decideOne: (req) => bucketOf2(decider.decide(full, factsOf(req))), check: reasonIs(decider, full, reasons), requests };
}
/**
 * The next {@link DISTINCT} of the {@link FULL_CACHE} sessions, in turn: over its passes the row
 * asks for every cached session, as the proxy would, while no more requests are alive at once
 * than in the other rows (100 000 live requests would make the collector's work the row's cost).
 */
let nextMany = 0;
const manyRequests = (): BenchRequest[] => {
  const chunk = manyRawRequests.slice(nextMany, nextMany + DISTINCT);
  nextMany = (nextMany + DISTINCT) % FULL_CACHE;
  return freshRequests(chunk);
};
/** Measures `rows` in turns, with Redis checked untouched, and prints them against `baseline`. */
function printRates(title: string, rows: readonly Subject[], baseline: string): void {
  const redisCalls = redis.calls;
  const cacheHits = sessionStore.stats.cacheHits + fullCacheStore.stats.cacheHits;
  const perSecond = ratesOf(rows);
  if (redis.calls !== redisCalls) throw new Error(`Redis was asked ${redis.calls - redisCalls} times, so not every session lookup was a cache hit`);
  if (sessionStore.stats.cacheHits + fullCacheStore.stats.cacheHits === cacheHits) throw new Error('no session lookup hit the cache');
  const table: BenchRow[] = rows.map(({ name }, row) => ({ name, values: { 'decisions/s': perSecond[row]! } }));
  printTable(`${title} (best of ${ROUNDS} rounds taken in turns)`, table, { baseline, columns: ['decisions/s'], digits: 0 });
}

const sessionHit = sessionRow('full + session cookie + cache hit', withSessions, ['session']);
subjects.push(sessionHit, sessionRow('full + session + a region canary down', canaryDown, ['session', 'region-fallback']));
await fillSessionCache(withSessions, freshRequests());
subjects.push(handWritten());
printRates(
  `Routing decisions per CPU second through the proxy's RequestDecider, one core, ${DISTINCT} distinct requests with new strings each pass`,
  subjects,
  'foundation: weight-only decide()',
);

// The proxy's default cache full, apart from the table above: 100 000 cached sessions make a larger
// heap, which slows every row measured beside them (weight-only fell from 1.8–2.5 to 0.9–1.0 M/s here).
manyRawRequests = Array.from({ length: FULL_CACHE }, (_, i) => rawRequest(i));
await fillSessionCache(withFullCache, freshRequests(manyRawRequests));
await fillSessionCache(withSessions, freshRequests());
printRates(
  `The same session hit with ${DISTINCT} sessions cached and with the cache full`,
  [sessionHit, sessionRow(`full + session hit, cache full (${FULL_CACHE.toLocaleString('en')} sessions)`, withFullCache, ['session'], manyRequests)],
  sessionHit.name,
);

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
    const sid = `s${i.toString(36)}x${(i * 2654435761) >>> 0}`;
    const user = factsOf({
      url: '/checkout/cart',
      headers: { host: 'shop.example.com', cookie: `theme=dark; SID=${sid}; lang=en`, 'x-user-id': `user-${i}` },
      socket: { remoteAddress: `10.${1 + (i % 3)}.${(i >> 8) & 255}.${i & 255}` },
    });
    const key = user.cookie('SID') ?? '';
    const decision = full.decide(user, allHealthy, { sessionBinding: store.get(key), override: undefined, listedUser: undefined });
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

import { randomInt } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ListedUser } from '@graylane/routing';
import { BoundedCache } from './bounded-cache.js';
import { coarseNow } from './coarse-clock.js';

/** Longest session id or user key looked up; longer ones are junk and are not stored (counted). */
export const MAX_ID_LENGTH = 256;

/** Cached answer "Redis holds nothing here", so the next request does not ask again. */
export const NONE = '';

/** What the store counted since start; served on the admin port's /metrics. */
export interface BindingStats {
  /** lookups answered by the local cache */
  cacheHits: number;
  /** lookups that had to go to Redis */
  redisLookups: number;
  /** Redis lookups that did not answer within the deadline: decided without the binding */
  deadlineMisses: number;
  /** Redis lookups or writes that failed (Redis down, refused): decided without the binding */
  redisErrors: number;
  /** bindings written */
  writes: number;
  /** session ids or user keys longer than {@link MAX_ID_LENGTH}, ignored */
  oversizedIds: number;
  /** binding changes announced by other proxies and applied to the local cache */
  announcementsApplied: number;
  /** announcements that did not match their schema, dropped */
  invalidAnnouncements: number;
}

/** The answers of one Redis round trip for one request. */
export interface LookupKeys {
  rollout: string;
  /** the session id, when the rollout binds sessions and the request names one */
  sessionId: string | undefined;
  sessionTtlMs: number;
  /** the sticky key and the Redis sets to test it against */
  userKey: string | undefined;
  allowSet: string | undefined;
  denySet: string | undefined;
}

/**
 * What Redis answered one request's lookup by its deadline, whether or not the cache kept it: the
 * request is decided by this, so an answer the cache must not keep (see {@link BindingStore.lookUp})
 * still routes the request that asked. A part is undefined when it was not asked, not answered in
 * time, or failed.
 */
export interface LookupAnswer {
  /** the binding, {@link NONE} when Redis holds none */
  readonly binding: string | undefined;
  /** 'allow', 'deny', or {@link NONE} */
  readonly listing: string | undefined;
}

/** The answer of a lookup that missed its deadline or failed: nothing known. */
export const UNANSWERED: LookupAnswer = Object.freeze({ binding: undefined, listing: undefined });

/** One rollout's local caches, and how many binding changes it has seen (see {@link BindingStore.lookUp}). */
interface RolloutCaches {
  readonly sessions: BoundedCache<string>;
  readonly users: BoundedCache<string>;
  changes: number;
}

/** The Redis key of one binding. Rollout names are DNS labels, so they cannot smuggle a `:`. */
export function bindingKey(rollout: string, sessionId: string): string {
  return `graylane:session:${rollout}:${sessionId}`;
}

/**
 * Session bindings and user-set membership: Redis as the shared truth, a bounded local cache in
 * front of it. The request path only ever reads the cache synchronously; a miss costs one Redis
 * round trip raced against a deadline of a few milliseconds. Whatever Redis does (slow, down,
 * refusing), a lookup resolves, never rejects, and the miss is counted; a late answer still fills
 * the cache for the next request. Writes are fire-and-forget.
 */
export class BindingStore {
  /**
   * One pair of caches per rollout, keyed by the raw session id or user key: building a combined
   * key string per request cost more than the rest of the decision (measured in bench/routing.ts).
   * Each cache holds at most `cacheEntries`, so memory is bounded by the limits times the number
   * of rollouts, never by the number of users.
   */
  private readonly caches = new Map<string, RolloutCaches>();
  /** the rollout asked about last and its caches: a run of requests for one rollout skips the Map lookup */
  private lastRollout: string | undefined;
  private lastCaches: RolloutCaches | undefined;
  readonly stats: BindingStats = {
    cacheHits: 0,
    redisLookups: 0,
    deadlineMisses: 0,
    redisErrors: 0,
    writes: 0,
    oversizedIds: 0,
    announcementsApplied: 0,
    invalidAnnouncements: 0,
  };

  constructor(
    private readonly redis: Redis,
    private readonly options: { deadlineMs: number; cacheEntries: number; cacheTtlMs: number; now?: () => number },
  ) {
  }

  /** Entries in the local caches (each bounded by `cacheEntries`). */
  get cached(): number {
    let entries = 0;
    for (const { sessions, users } of this.caches.values()) entries += sessions.size + users.size;
    return entries;
  }

  /** The id as given, or undefined (counted) when it is too long to be a real one. */
  usableId(id: string | undefined): string | undefined {
    return id !== undefined && this.usableLength(id.length) ? id : undefined;
  }

  /** Whether an id of `length` code units is worth looking up: not empty, and not too long to be a real one (counted). */
  usableLength(length: number): boolean {
    if (length === 0) return false;
    if (length > MAX_ID_LENGTH) {
      this.stats.oversizedIds++;
      return false;
    }
    return true;
  }

  /** The cached binding: a value, {@link NONE} when Redis has none, undefined when not cached. */
  cachedBinding(rollout: string, sessionId: string): string | undefined {
    return this.cachedBindingIn(rollout, sessionId, 0, sessionId.length);
  }

  /**
   * {@link cachedBinding} for the session id `text.slice(start, end)`, read in place: the proxy
   * passes the Cookie header and where the id lies in it, so a cache hit makes no string.
   */
  cachedBindingIn(rollout: string, text: string, start: number, end: number): string | undefined {
    const value = this.cachesOf(rollout).sessions.getIn(text, start, end, this.now());
    if (value !== undefined) this.stats.cacheHits++;
    return value;
  }

  /** The cached membership: 'allow', 'deny', {@link NONE}, or undefined when not cached. */
  cachedListing(rollout: string, userKey: string): string | undefined {
    const value = this.cachesOf(rollout).users.get(userKey, this.now());
    if (value !== undefined) this.stats.cacheHits++;
    return value;
  }

  /**
   * Asks Redis, in one round trip, for the binding (refreshing its TTL, so an active session
   * stays bound) and the user's set membership, caches the answers, and returns them for the
   * request that asked. Resolves by the deadline at the latest ({@link UNANSWERED}); never rejects.
   *
   * When a binding of the rollout changed while the lookup was in flight (a move, a clear, or a
   * `SET NX` after a missed deadline), Redis may have answered from before the change: the binding
   * is then not cached, and "unbound" is returned as unknown, so the request writes only if still
   * unbound. A binding Redis did hold is returned: it routed this request when it was sent.
   */
  async lookUp(keys: LookupKeys): Promise<LookupAnswer> {
    this.stats.redisLookups++;
    const changesBefore = this.cachesOf(keys.rollout).changes;
    const pipeline = this.redis.pipeline();
    const sessionKey = keys.sessionId === undefined ? undefined : bindingKey(keys.rollout, keys.sessionId);
    if (sessionKey !== undefined) pipeline.get(sessionKey).pexpire(sessionKey, keys.sessionTtlMs);
    const userKey = keys.userKey;
    if (userKey !== undefined) {
      pipeline.sismember(keys.denySet ?? 'graylane:none', userKey).sismember(keys.allowSet ?? 'graylane:none', userKey);
    }
    const work = pipeline.exec().then(
      (results) => this.store(keys, results ?? [], changesBefore),
      () => {
        this.stats.redisErrors++;
        return UNANSWERED;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.options.deadlineMs);
    });
    const outcome = await Promise.race([work, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    this.stats.deadlineMisses++;
    return UNANSWERED;
  }

  /**
   * Binds a session to `value` in Redis for `ttlMs`, without waiting. With `overwrite` false the
   * write only happens when no binding exists (SET NX): after a missed deadline this proxy does not
   * know the binding, and must not replace it. Its lookup is then still in flight, and its late
   * answer (from before this write) must not be cached as "unbound", or the next request would
   * overwrite the binding just made: an NX write counts as a change of the rollout's bindings.
   */
  bind(rollout: string, sessionId: string, value: string, ttlMs: number, overwrite: boolean): void {
    this.stats.writes++;
    if (overwrite) this.cachesOf(rollout).sessions.set(sessionId, value, this.now(), ttlMs);
    else this.changed(rollout);
    const key = bindingKey(rollout, sessionId);
    const written = overwrite ? this.redis.set(key, value, 'PX', ttlMs) : this.redis.set(key, value, 'PX', ttlMs, 'NX');
    written.catch(() => {
      this.stats.redisErrors++;
    });
  }

  /** The binding in Redis (for the admin API), or undefined. */
  async read(rollout: string, sessionId: string): Promise<string | undefined> {
    return (await this.redis.get(bindingKey(rollout, sessionId))) ?? undefined;
  }

  /** Moves a session to `value` now (admin API): Redis and this proxy's cache. */
  async move(rollout: string, sessionId: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(bindingKey(rollout, sessionId), value, 'PX', ttlMs);
    const caches = this.changed(rollout);
    caches.sessions.set(sessionId, value, this.now(), ttlMs);
  }

  /** Removes one binding (admin API); returns whether one existed. */
  async clear(rollout: string, sessionId: string): Promise<boolean> {
    const removed = (await this.redis.del(bindingKey(rollout, sessionId))) > 0;
    this.changed(rollout).sessions.delete(sessionId);
    return removed;
  }

  /** Removes every binding of a rollout (admin API); returns how many. */
  async clearRollout(rollout: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${bindingKey(rollout, '')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    this.changed(rollout).sessions.clear();
    return removed;
  }

  /**
   * A change another proxy made in Redis through its admin API, applied to this cache only: the
   * new binding for up to `ttlMs`, or the entry dropped (`binding` null), or every cached binding
   * of the rollout dropped (`sessionId` undefined), so the next request reads Redis.
   */
  applyAnnounced(rollout: string, sessionId: string | undefined, binding: string | null, ttlMs: number): void {
    this.stats.announcementsApplied++;
    const sessions = this.changed(rollout).sessions;
    if (sessionId === undefined) sessions.clear();
    else if (binding === null || ttlMs <= 0) sessions.delete(sessionId);
    else sessions.set(sessionId, binding, this.now(), ttlMs);
  }

  /**
   * Caches Redis's answers and returns them (see {@link lookUp}). `changesBefore`: the rollout's
   * change count when the lookup was sent. When a binding of the rollout changed meanwhile (here
   * or announced by another proxy), the session answer may predate the change, so it is not
   * cached (the next request asks again) and "unbound" is returned as unknown.
   */
  private store(keys: LookupKeys, results: [Error | null, unknown][], changesBefore: number): LookupAnswer {
    const now = this.now();
    const caches = this.cachesOf(keys.rollout);
    let binding: string | undefined;
    let listing: ListedUser | typeof NONE | undefined;
    let index = 0;
    if (keys.sessionId !== undefined) {
      const [error, value] = results[index] ?? [null, null];
      index += 2;
      if (error === null) {
        const found = typeof value === 'string' ? value : NONE;
        const current = caches.changes === changesBefore;
        if (current) caches.sessions.set(keys.sessionId, found, now, keys.sessionTtlMs);
        binding = current || found !== NONE ? found : undefined;
      } else {
        this.stats.redisErrors++;
      }
    }
    if (keys.userKey !== undefined) {
      const [denyError, denied] = results[index] ?? [null, 0];
      const [allowError, allowed] = results[index + 1] ?? [null, 0];
      if (denyError === null && allowError === null) {
        listing = denied === 1 ? 'deny' : allowed === 1 ? 'allow' : NONE;
        caches.users.set(keys.userKey, listing, now);
      } else {
        this.stats.redisErrors++;
      }
    }
    return { binding, listing };
  }

  /** The caches of a rollout whose bindings are being changed now: lookups in flight will not cache their answers. */
  private changed(rollout: string): RolloutCaches {
    const caches = this.cachesOf(rollout);
    caches.changes++;
    return caches;
  }

  private cachesOf(rollout: string): RolloutCaches {
    if (rollout === this.lastRollout && this.lastCaches !== undefined) return this.lastCaches;
    let caches = this.caches.get(rollout);
    if (caches === undefined) {
      // Random seeds: session ids and user keys come from clients, who must not be able to predict collisions.
      caches = {
        sessions: new BoundedCache(this.options.cacheEntries, this.options.cacheTtlMs, randomInt(2 ** 31)),
        users: new BoundedCache(this.options.cacheEntries, this.options.cacheTtlMs, randomInt(2 ** 31)),
        changes: 0,
      };
      this.caches.set(rollout, caches);
    }
    this.lastRollout = rollout;
    this.lastCaches = caches;
    return caches;
  }

  private now(): number {
    return this.options.now === undefined ? coarseNow() : this.options.now();
  }
}

/** What a {@link BoundedCache} counted since it was made. */
export interface CacheCounters {
  hits: number;
  misses: number;
  /** entries dropped because the cache was full (least recently used first) */
  evictions: number;
  /** entries found past their TTL */
  expirations: number;
}

const NIL = -1;

/**
 * A least-recently-used cache bounded by entries and by age, with the time passed in by the
 * caller, so it stays pure and its tests need no clock.
 *
 * Why both bounds: the entry limit is what keeps memory flat with a million distinct users (the
 * unbounded per-user table is the classic way an nginx+Lua canary gets OOM-killed); the TTL bounds
 * how long a local copy may differ from the shared store, so a binding moved in Redis reaches every
 * proxy within one TTL. A hit does not extend the TTL, for the same reason.
 *
 * Why slots and index links instead of re-inserting into a Map to keep it in use order: V8 leaves
 * a deleted Map entry as a hole until the next rehash, so "the first key" of a Map that is
 * constantly re-ordered has to skip ever more holes; measured, that made eviction O(n) and a
 * million-user run crawl. Here every operation is O(1): a Map from key to slot, and the use order
 * as a doubly linked list over typed arrays that grow by doubling up to the limit.
 */
export class BoundedCache<V> {
  private readonly slots = new Map<string, number>();
  private keys: (string | undefined)[] = [];
  private values: (V | undefined)[] = [];
  private expiresAt = new Float64Array(0);
  private newer = new Int32Array(0);
  private older = new Int32Array(0);
  /** slots allocated so far: grows by doubling up to maxEntries, so an idle cache costs little */
  private capacity = 0;
  /** least recently used */
  private oldest = NIL;
  /** most recently used */
  private newest = NIL;
  /** slots never used yet are handed out in order; freed ones are kept on a list through `newer` */
  private used = 0;
  private free = NIL;
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0, expirations: 0 };

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`invalid maxEntries ${String(maxEntries)}: expected an integer ≥ 1`);
    if (!(ttlMs > 0)) throw new RangeError(`invalid ttlMs ${String(ttlMs)}: expected a positive number`);
    this.grow();
  }

  get size(): number {
    return this.slots.size;
  }

  /** The live value under `key` at time `now` (ms), or undefined. */
  get(key: string, now: number): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.counters.misses++;
      return undefined;
    }
    if (now >= this.expiresAt[slot]!) {
      this.counters.expirations++;
      this.counters.misses++;
      this.remove(key, slot);
      return undefined;
    }
    this.touch(slot);
    this.counters.hits++;
    return this.values[slot];
  }

  /** Stores `value` until `now + ttlMs` (or `now + maxAgeMs` when shorter), evicting the least recently used entry when full. */
  set(key: string, value: V, now: number, maxAgeMs: number = this.ttlMs): void {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.claimSlot();
      this.keys[slot] = key;
      this.slots.set(key, slot);
      this.append(slot);
    } else {
      this.touch(slot);
    }
    this.values[slot] = value;
    this.expiresAt[slot] = now + Math.min(this.ttlMs, maxAgeMs);
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) this.remove(key, slot);
  }

  clear(): void {
    this.slots.clear();
    this.keys = [];
    this.values = [];
    this.expiresAt = new Float64Array(0);
    this.newer = new Int32Array(0);
    this.older = new Int32Array(0);
    this.capacity = 0;
    this.grow();
    this.oldest = NIL;
    this.newest = NIL;
    this.used = 0;
    this.free = NIL;
  }

  private claimSlot(): number {
    if (this.free !== NIL) {
      const slot = this.free;
      this.free = this.newer[slot]!;
      return slot;
    }
    if (this.used < this.maxEntries) {
      if (this.used === this.capacity) this.grow();
      return this.used++;
    }
    const slot = this.oldest;
    this.slots.delete(this.keys[slot]!);
    this.unlink(slot);
    this.counters.evictions++;
    return slot;
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, Math.max(64, this.capacity * 2));
    const expiresAt = new Float64Array(capacity);
    expiresAt.set(this.expiresAt);
    const newer = new Int32Array(capacity).fill(NIL);
    newer.set(this.newer);
    const older = new Int32Array(capacity).fill(NIL);
    older.set(this.older);
    for (let slot = this.capacity; slot < capacity; slot++) {
      this.keys.push(undefined);
      this.values.push(undefined);
    }
    this.expiresAt = expiresAt;
    this.newer = newer;
    this.older = older;
    this.capacity = capacity;
  }

  private remove(key: string, slot: number): void {
    this.slots.delete(key);
    this.unlink(slot);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
    this.newer[slot] = this.free;
    this.free = slot;
  }

  /**
   * Makes `slot` the most recently used. Every hit does this, so it is unlink + append fused: a
   * slot that is not the newest always has a newer neighbour, which saves the checks and the
   * stores that append would overwrite at once.
   */
  private touch(slot: number): void {
    const newest = this.newest;
    if (slot === newest) return;
    const newer = this.newer;
    const older = this.older;
    const before = older[slot]!;
    const after = newer[slot]!;
    if (before !== NIL) newer[before] = after;
    else this.oldest = after;
    older[after] = before;
    older[slot] = newest;
    newer[slot] = NIL;
    newer[newest] = slot;
    this.newest = slot;
  }

  private append(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = NIL;
    if (this.newest !== NIL) this.newer[this.newest] = slot;
    this.newest = slot;
    if (this.oldest === NIL) this.oldest = slot;
  }

  private unlink(slot: number): void {
    const older = this.older[slot]!;
    const newer = this.newer[slot]!;
    if (older !== NIL) this.newer[older] = newer;
    else this.oldest = newer;
    if (newer !== NIL) this.older[newer] = older;
    else this.newest = older;
    this.older[slot] = NIL;
    this.newer[slot] = NIL;
  }
}

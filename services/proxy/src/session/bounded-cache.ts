/** What a {@link BoundedCache} counted since it was made. */
export interface CacheCounters {
  hits: number;
  misses: number;
  /** entries dropped because the cache was full (least recently used first) */
  evictions: number;
  /** entries found past their TTL */
  expirations: number;
  /**
   * new keys not stored because their probe run in the index was already {@link MAX_PROBES} long;
   * only a flood of keys crafted to collide gets there, and it costs them a cache miss, not the
   * proxy a slow lookup
   */
  refused: number;
}

const NIL = -1;

/** Longest run of index cells a lookup walks; see {@link BoundedCache} on crafted collisions. */
export const MAX_PROBES = 32;

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
 * million-user run crawl. Here every operation is O(1): an index from key to slot, and the use
 * order as a doubly linked list over typed arrays that grow by doubling up to the limit.
 *
 * Why its own hash index instead of a Map from key to slot: a session id is a piece of the Cookie
 * header, and a Map needs it as a string of its own, which V8 must allocate and then hash in a
 * runtime call; per hit that is small but measurable against a whole decision (figures in
 * docs/decisions/0002-routing-decision-speed.md). {@link getIn} hashes the piece
 * in place with `charCodeAt` and checks the stored key with `startsWith`, allocating nothing. The
 * index is open addressing with linear probing (at most a quarter full, deletion by backward shift, so
 * no tombstones pile up). Keys come from clients, so the hash is seeded per cache and no lookup
 * walks more than {@link MAX_PROBES} cells: keys crafted to collide are refused (counted), never
 * turned into a slow path.
 */
export class BoundedCache<V> {
  /** open-addressing index: slot + 1 of the key hashing there (or probing on from there), 0 = empty */
  private index = new Int32Array(0);
  private indexMask = 0;
  /** the full hash of each slot's key, so probing compares numbers before strings */
  private hashes = new Int32Array(0);
  private entries = 0;
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
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0, expirations: 0, refused: 0 };

  /**
   * `seed` varies the hash so that clients cannot predict which keys collide; the proxy passes a
   * random one (this package stays free of randomness and clocks).
   */
  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly seed = 0,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`invalid maxEntries ${String(maxEntries)}: expected an integer ≥ 1`);
    if (!(ttlMs > 0)) throw new RangeError(`invalid ttlMs ${String(ttlMs)}: expected a positive number`);
    this.grow();
  }

  get size(): number {
    return this.entries;
  }

  /** The live value under `key` at time `now` (ms), or undefined. */
  get(key: string, now: number): V | undefined {
    return this.getIn(key, 0, key.length, now);
  }

  /**
   * The live value under the key `text.slice(start, end)` at time `now` (ms), or undefined,
   * without making that string: what a lookup by a piece of a request header needs.
   */
  getIn(text: string, start: number, end: number, now: number): V | undefined {
    const slot = this.find(text, start, end, hashOf(text, start, end, this.seed));
    if (slot === NIL) {
      this.counters.misses++;
      return undefined;
    }
    if (now >= this.expiresAt[slot]!) {
      this.counters.expirations++;
      this.counters.misses++;
      this.remove(slot);
      return undefined;
    }
    this.touch(slot);
    this.counters.hits++;
    return this.values[slot];
  }

  /** Stores `value` until `now + ttlMs` (or `now + maxAgeMs` when shorter), evicting the least recently used entry when full. */
  set(key: string, value: V, now: number, maxAgeMs: number = this.ttlMs): void {
    const hash = hashOf(key, 0, key.length, this.seed);
    let slot = this.find(key, 0, key.length, hash);
    if (slot === NIL) {
      // Probe before claiming a slot: a refused key must not evict anyone.
      if (this.freeCellFor(hash) === NIL) {
        this.counters.refused++;
        return;
      }
      slot = this.claimSlot();
      this.keys[slot] = ownCopy(key);
      this.hashes[slot] = hash;
      // Claiming may have grown the index or evicted an entry, which moves cells: probe again.
      const cell = this.freeCellFor(hash);
      if (cell === NIL) {
        this.counters.refused++;
        this.keys[slot] = undefined;
        this.newer[slot] = this.free;
        this.free = slot;
        return;
      }
      this.index[cell] = slot + 1;
      this.entries++;
      this.append(slot);
    } else {
      this.touch(slot);
    }
    this.values[slot] = value;
    this.expiresAt[slot] = now + Math.min(this.ttlMs, maxAgeMs);
  }

  delete(key: string): void {
    const slot = this.find(key, 0, key.length, hashOf(key, 0, key.length, this.seed));
    if (slot !== NIL) this.remove(slot);
  }

  clear(): void {
    this.index = new Int32Array(0);
    this.indexMask = 0;
    this.hashes = new Int32Array(0);
    this.entries = 0;
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

  /** The slot holding the key `text.slice(start, end)` with hash `hash`, or NIL. */
  private find(text: string, start: number, end: number, hash: number): number {
    const index = this.index;
    const mask = this.indexMask;
    const length = end - start;
    let cell = hash & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const entry = index[cell]!;
      if (entry === 0) return NIL;
      const slot = entry - 1;
      if (this.hashes[slot] === hash) {
        const key = this.keys[slot]!;
        if (key.length === length && text.startsWith(key, start)) return slot;
      }
      cell = (cell + 1) & mask;
    }
    return NIL;
  }

  /** The first empty cell within {@link MAX_PROBES} of the home cell of `hash`, or NIL. */
  private freeCellFor(hash: number): number {
    const mask = this.indexMask;
    let cell = hash & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      if (this.index[cell] === 0) return cell;
      cell = (cell + 1) & mask;
    }
    return NIL;
  }

  /**
   * Empties the cell of `slot` and shifts later cells of its run back, so every key stays within
   * reach of its home cell without tombstones (Knuth's deletion for linear probing).
   */
  private unindex(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let hole = this.hashes[slot]! & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    let cell = hole;
    for (;;) {
      cell = (cell + 1) & mask;
      const entry = index[cell]!;
      if (entry === 0) break;
      const home = this.hashes[entry - 1]! & mask;
      // The entry may fill the hole when the hole lies between its home cell and its cell.
      if (((cell - home) & mask) >= ((cell - hole) & mask)) {
        index[hole] = entry;
        hole = cell;
      }
    }
    index[hole] = 0;
    this.entries--;
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
    this.unindex(slot);
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
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    for (let slot = this.capacity; slot < capacity; slot++) {
      this.keys.push(undefined);
      this.values.push(undefined);
    }
    this.expiresAt = expiresAt;
    this.newer = newer;
    this.older = older;
    this.hashes = hashes;
    this.capacity = capacity;
    this.reindex();
  }

  /**
   * Rebuilds the index at four times the slot capacity or more (so it is at most a quarter full)
   * and puts every live key back. Growth spreads keys out, so each fits in fewer probes than
   * before. At half full, honest random keys were refused now and then (12 in 393 216 inserts at
   * 131 072 entries); at a quarter a run of {@link MAX_PROBES} takes crafted keys.
   */
  private reindex(): void {
    let cells = 1;
    while (cells < this.capacity * 4) cells *= 2;
    const old = this.index;
    this.index = new Int32Array(cells);
    this.indexMask = cells - 1;
    for (let cell = 0; cell < old.length; cell++) {
      const entry = old[cell]!;
      if (entry === 0) continue;
      const free = this.freeCellFor(this.hashes[entry - 1]!);
      if (free !== NIL) {
        this.index[free] = entry;
        continue;
      }
      // Only crafted collisions get here: drop the key like a refused one.
      const slot = entry - 1;
      this.counters.refused++;
      this.entries--;
      this.release(slot);
    }
  }

  private remove(slot: number): void {
    this.unindex(slot);
    this.release(slot);
  }

  /** Takes `slot` out of the recency list, forgets its key and value, and puts it on the free list. */
  private release(slot: number): void {
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

/**
 * The seeded hash of `text.slice(start, end)`, computed in place: a multiply-xorshift step per code
 * unit and the murmur3 finalizer, so keys that differ in one character land far apart.
 */
function hashOf(text: string, start: number, end: number, seed: number): number {
  let h = seed ^ (end - start);
  let i = start;
  // Two code units per step: the multiply's latency, not the reads, bounds this loop.
  for (; i + 1 < end; i += 2) {
    h = Math.imul(h ^ (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)), 0x5bd1e995);
    h ^= h >>> 15;
  }
  if (i < end) h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  // 30 bits: a small integer in V8, so returning it never allocates a heap number.
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

/**
 * A flat string of its own with the text of `key`. A key cut from a request header is a view into
 * that header in V8, and would keep all of it alive for as long as the entry lives (up to the
 * largest header the server accepts, per entry); a JSON round trip copies any string exactly.
 */
function ownCopy(key: string): string {
  return JSON.parse(JSON.stringify(key)) as string;
}

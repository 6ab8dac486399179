import { STEP_LEASE_KEY } from '@graylane/contracts';
import { decodeJson, encodeJson, type KV } from '@graylane/runtime';

/** The lease as stored: who holds it and until when (epoch ms). */
export interface LeaseValue {
  holder: string;
  expiresAtMs: number;
}

/** What a replica may do with the lease as it finds it. */
export type LeaseAction = 'create' | 'renew' | 'take-over' | 'wait';

/**
 * Pure: the action for `me` given the stored lease. nats-server 2.9 has no per-key TTL, so expiry
 * is a timestamp in the value and every change is compare-and-set on the key's revision: of two
 * replicas taking over an expired lease, exactly one write succeeds.
 */
export function leaseAction(stored: LeaseValue | undefined, me: string, nowMs: number): LeaseAction {
  if (stored === undefined) return 'create';
  if (stored.holder === me) return 'renew';
  return nowMs >= stored.expiresAtMs ? 'take-over' : 'wait';
}

/**
 * The step driver's lease in the config KV bucket. `acquire()` is called on every tick: it
 * renews a held lease, takes over an expired one, and says whether this replica holds it now.
 */
export class StepLease {
  constructor(
    private readonly kv: KV,
    readonly holder: string,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when this replica holds the lease for at least the next `ttlMs`. */
  async acquire(): Promise<boolean> {
    const entry = await this.kv.get(STEP_LEASE_KEY);
    const stored = entry !== null && entry.operation === 'PUT' ? parseLease(entry.value) : undefined;
    const now = this.clock();
    const action = leaseAction(stored, this.holder, now);
    if (action === 'wait') return false;
    // Each write takes a bucket revision (config versions are revisions too), so a held lease is
    // only rewritten once half of it has run out.
    if (action === 'renew' && stored !== undefined && stored.expiresAtMs - now > this.ttlMs / 2) return true;
    const value = encodeJson({ holder: this.holder, expiresAtMs: now + this.ttlMs } satisfies LeaseValue);
    try {
      if (entry === null) await this.kv.create(STEP_LEASE_KEY, value);
      else await this.kv.update(STEP_LEASE_KEY, value, entry.revision);
      return true;
    } catch {
      // Another replica wrote the lease between our read and write: it holds it now.
      return false;
    }
  }

  /** Gives the lease up (on shutdown) so another replica takes over at once, if we still hold it. */
  async release(): Promise<void> {
    const entry = await this.kv.get(STEP_LEASE_KEY);
    if (entry === null || entry.operation !== 'PUT' || parseLease(entry.value)?.holder !== this.holder) return;
    const expired = encodeJson({ holder: this.holder, expiresAtMs: 0 } satisfies LeaseValue);
    await this.kv.update(STEP_LEASE_KEY, expired, entry.revision).catch(() => undefined);
  }
}

function parseLease(data: Uint8Array): LeaseValue | undefined {
  try {
    const value = decodeJson(data) as Partial<LeaseValue> | null;
    if (typeof value?.holder === 'string' && typeof value.expiresAtMs === 'number') return { holder: value.holder, expiresAtMs: value.expiresAtMs };
  } catch {
    // A garbled lease counts as absent-and-expired: take-over below rewrites it.
  }
  return { holder: '', expiresAtMs: 0 };
}

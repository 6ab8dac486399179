/** Settings of passive outlier ejection. */
export interface OutlierSettings {
  /** Consecutive 5xx answers or connect errors that eject an endpoint. */
  readonly consecutiveFailures: number;
  /** First ejection's length; each repeat doubles it, up to `maxEjectionMs`. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
}

export const DEFAULT_OUTLIER_SETTINGS: OutlierSettings = Object.freeze({
  consecutiveFailures: 5,
  baseEjectionMs: 5_000,
  maxEjectionMs: 300_000,
});

interface EndpointRecord {
  consecutive: number;
  /** How many times this endpoint was ejected; drives the growing ejection time. */
  ejections: number;
  ejectedUntil: number;
}

/**
 * Passive outlier ejection, pure: outcomes and the time come in, `isEjected` goes out. An
 * endpoint that answers 5xx or fails to connect `consecutiveFailures` times in a row is ejected
 * for `base * 2^(n-1)` ms on its n-th ejection. It does not know pools: whoever picks an endpoint
 * must keep a pool whose every endpoint is ejected serving (see `pickEndpoint`).
 */
export class OutlierDetector {
  private readonly records = new Map<string, EndpointRecord>();

  constructor(private readonly settings: OutlierSettings = DEFAULT_OUTLIER_SETTINGS) {}

  /** Records one finished exchange with `origin`: `failed` for 5xx or no connection. */
  record(origin: string, failed: boolean, now: number): void {
    let record = this.records.get(origin);
    if (record === undefined) {
      if (!failed) return;
      record = { consecutive: 0, ejections: 0, ejectedUntil: 0 };
      this.records.set(origin, record);
    }
    if (!failed) {
      record.consecutive = 0;
      return;
    }
    record.consecutive += 1;
    if (record.consecutive >= this.settings.consecutiveFailures && now >= record.ejectedUntil) {
      record.ejections += 1;
      const length = Math.min(this.settings.maxEjectionMs, this.settings.baseEjectionMs * 2 ** (record.ejections - 1));
      record.ejectedUntil = now + length;
      // After the ejection the endpoint gets a fresh count, so one more failure does not re-eject it at once.
      record.consecutive = 0;
    }
  }

  /** True while `origin` sits out an ejection. */
  isEjected(origin: string, now: number): boolean {
    const record = this.records.get(origin);
    return record !== undefined && now < record.ejectedUntil;
  }

  /** How many times `origin` has been ejected so far. */
  ejectionsOf(origin: string): number {
    return this.records.get(origin)?.ejections ?? 0;
  }

  /** Forgets one endpoint (it left the config): if it comes back, it starts with a clean record. */
  forget(origin: string): void {
    this.records.delete(origin);
  }

  /** Forgets endpoints no longer in any pool, so the map stays bounded by the config. */
  retainOnly(origins: ReadonlySet<string>): void {
    for (const origin of this.records.keys()) if (!origins.has(origin)) this.records.delete(origin);
  }
}

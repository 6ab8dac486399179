import type { Redis } from 'ioredis';

/**
 * A Redis whose pipelined answers arrive only when the test says so ({@link answer}): a lookup
 * stays in flight meanwhile, as when Redis or the network is slow. Writes apply at once.
 */
export class LateRedis {
  readonly values = new Map<string, string>();
  private readonly waiting: (() => void)[] = [];

  /** This fake where the code wants an ioredis client. */
  get client(): Redis {
    return this as unknown as Redis;
  }

  pipeline(): unknown {
    const reads: (() => [null, unknown])[] = [];
    const chain = {
      get: (key: string) => {
        // Redis answers with what it held when the command ran, not when the answer arrives.
        const value = this.values.get(key) ?? null;
        reads.push(() => [null, value]);
        return chain;
      },
      pexpire: () => {
        reads.push(() => [null, 1]);
        return chain;
      },
      sismember: (set: string) => {
        reads.push(() => [null, set === 'allowed' ? 1 : 0]);
        return chain;
      },
      exec: () => new Promise((resolve) => this.waiting.push(() => resolve(reads.map((read) => read())))),
    };
    return chain;
  }

  /** SET [NX]: Redis applies a write when it runs, before any answer still in flight is delivered. */
  set(key: string, value: string, ...options: string[]): Promise<string | null> {
    if (options.includes('NX') && this.values.has(key)) return Promise.resolve(null);
    this.values.set(key, value);
    return Promise.resolve('OK');
  }

  /** Delivers every answer still in flight. */
  answer(): void {
    for (const deliver of this.waiting.splice(0)) deliver();
  }
}

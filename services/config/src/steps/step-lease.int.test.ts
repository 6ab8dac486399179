// The step lease on a real NATS JetStream KV bucket: one holder at a time, takeover on expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { connectNats, openConfigBucket, type KV, type NatsConnection } from '@graylane/runtime';
import { startNats, type RunningServer } from '@graylane/testkit';
import { StepLease } from './step-lease.js';

let nats: RunningServer;
let nc: NatsConnection;
let kv: KV;

beforeAll(async () => {
  nats = await startNats();
  nc = await connectNats(nats.url, pino({ level: 'silent' }), { name: 'lease-test', waitForServer: false });
  kv = await openConfigBucket(nc, 'lease_test');
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('StepLease', () => {
  it('gives the lease to exactly one of two racing replicas, and to the other once it expires', async () => {
    let now = 1_000_000;
    const clock = (): number => now;
    const a = new StepLease(kv, 'a', 1000, clock);
    const b = new StepLease(kv, 'b', 1000, clock);
    const first = await Promise.all([a.acquire(), b.acquire()]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const [holder, other] = first[0] ? [a, b] : [b, a];

    now += 400;
    expect(await holder.acquire()).toBe(true);
    expect(await other.acquire()).toBe(false);
    now += 700; // past half-life: the holder renews, pushing expiry out
    expect(await holder.acquire()).toBe(true);
    now += 900;
    expect(await other.acquire()).toBe(false);

    now += 5000; // the holder died: no renewals
    expect(await other.acquire()).toBe(true);
    expect(await holder.acquire()).toBe(false);
  });

  it('hands over at once when the holder releases it on shutdown', async () => {
    const a = new StepLease(kv, 'rel-a', 60_000);
    const b = new StepLease(kv, 'rel-b', 60_000);
    await kv.purge('step-driver-lease');
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    await a.release();
    expect(await b.acquire()).toBe(true);
  });
});

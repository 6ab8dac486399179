import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.js';
import { closeAll, closeHttpWithin, drainGraceFrom, shutdownBudgetMs, SHUTDOWN_MARGIN_MS } from './shutdown.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('closeAll', () => {
  it('runs closers last to first and lets one step use more than 10 s worth of the budget', async () => {
    const order: string[] = [];
    // Scaled down: a 300 ms step under a 400 ms budget stands for a 15 s drain under 15 s + margin.
    const finished = await closeAll(
      silent,
      [() => order.push('nats'), async () => sleep(300).then(() => order.push('drain'))],
      400,
    );
    expect(finished).toBe(true);
    expect(order).toEqual(['drain', 'nats']);
  });

  it('stops at the end of the budget, whichever step is running', async () => {
    const order: string[] = [];
    const started = Date.now();
    const finished = await closeAll(
      silent,
      [() => order.push('never'), () => sleep(10_000), async () => sleep(100).then(() => order.push('first'))],
      250,
    );
    expect(finished).toBe(false);
    expect(order).toEqual(['first']);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('goes on after a closer that throws', async () => {
    const order: string[] = [];
    const finished = await closeAll(
      silent,
      [
        () => order.push('after'),
        () => {
          throw new Error('boom');
        },
      ],
      100,
    );
    expect(finished).toBe(true);
    expect(order).toEqual(['after']);
  });
});

describe('drain grace', () => {
  it('reads GRAYLANE_DRAIN_GRACE_MS, 10 s by default, and adds the margin for the whole shutdown', () => {
    expect(drainGraceFrom({})).toBe(10_000);
    expect(drainGraceFrom({ GRAYLANE_DRAIN_GRACE_MS: '15000' })).toBe(15_000);
    expect(() => drainGraceFrom({ GRAYLANE_DRAIN_GRACE_MS: '10s' })).toThrow(ConfigError);
    expect(shutdownBudgetMs(15_000)).toBe(15_000 + SHUTDOWN_MARGIN_MS);
  });
});

describe('closeHttpWithin', () => {
  it('waits for a request in flight, and cuts one that outlives the grace', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/fast') setTimeout(() => res.end('ok'), 100);
      // /hang is never answered
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const get = (path: string): Promise<string> =>
      new Promise((resolve) => {
        request({ host: '127.0.0.1', port, path }, (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.statusCode)));
        })
          .on('error', (error) => resolve(error.message))
          .end();
      });
    const fast = get('/fast');
    const hanging = get('/hang');
    await sleep(50);
    const started = Date.now();
    await closeHttpWithin({ server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }, 300);
    expect(await fast).toBe('200');
    expect(await hanging).toMatch(/socket hang up|ECONNRESET/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

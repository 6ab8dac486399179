import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { MetricSeriesV1 } from '@graylane/contracts';
import { BatchPublisher } from './batch-publisher.js';

const series: MetricSeriesV1[] = [
  { rollout: 'r', pool: 'stable', version: 'v1', region: '', statusClass: '2xx', count: 1, latency: { layout: 'x', buckets: [[1, 1]] } },
];
const window = { startMs: 0, endMs: 1000 };

describe('BatchPublisher', () => {
  it('keeps batches while publishing fails, retries them in order with the same ids, and bounds the queue', async () => {
    const sent: string[] = [];
    let up = false;
    const publisher = new BatchPublisher(
      'p1',
      async (_subject, _data, id) => {
        if (!up) throw new Error('NATS down');
        sent.push(id);
      },
      3,
      pino({ level: 'silent' }),
    );
    for (let i = 0; i < 5; i += 1) await publisher.flush(series, window, 1);
    expect(publisher.stats).toMatchObject({ published: 0, dropped: 2, queued: 3 });
    up = true;
    await publisher.flush([], window, 1);
    expect(sent).toEqual(['p1:3', 'p1:4', 'p1:5']);
    expect(publisher.stats).toMatchObject({ published: 3, dropped: 2, queued: 0 });
  });
});

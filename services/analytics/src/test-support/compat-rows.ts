import { sqlString } from '../store/clickhouse.js';

/*
 * Rows for the compatibility test, as INSERT … VALUES text, so that exactly the same statements
 * go to 18.16 and to chdb. Deterministic for a given `nowSeconds`, and kept away from the edges of
 * the windows docs/reports.md asks for (1 hour, 15 minutes): the two servers read now() seconds
 * apart, and a row on an edge would be in one answer and not the other.
 */

/** A small deterministic PRNG (mulberry32), so both servers get the same rows. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, as DateTime('UTC') columns read it. */
export function utcText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

// Minutes ago the rows are in: not 14-16 (the 15-minute edge), not 59+ (the hour edge), not 0-1.
const MINUTES_AGO = [2, 3, 5, 8, 11, 13, 17, 20, 26, 33, 41, 47, 52, 58];
const SIDES = [
  { pool: 'stable', version: 'v1', slowUs: 0, errorShare: 0.01 },
  { pool: 'canary', version: 'v2', slowUs: 4_000, errorShare: 0.03 },
];

/** INSERT statements for request_counts, latency_buckets, verdicts and events in `database`. */
export function compatInserts(database: string, nowSeconds: number, rollouts: readonly string[] = ['checkout', 'search']): string[] {
  const next = random(16);
  const counts: string[] = [];
  const buckets: string[] = [];
  const verdicts: string[] = [];
  const events: string[] = [];
  let seq = 0;
  for (const rollout of rollouts) {
    for (const minutesAgo of MINUTES_AGO) {
      const ts = nowSeconds - minutesAgo * 60 - Math.floor(next() * 50);
      const minute = ts - (ts % 60);
      for (const side of SIDES) {
        seq += 1;
        const batchId = `proxy-${seq % 3}:${seq}`;
        const base = `${sqlString(utcText(ts))}, ${sqlString(utcText(minute))}, ${sqlString(rollout)}, ${sqlString(side.pool)}, ${sqlString(side.version)}, ''`;
        const total = 200 + Math.floor(next() * 800);
        const errors = Math.round(total * side.errorShare * next() * 2);
        const byClass: [string, number][] = [
          ['2xx', total - errors],
          ['5xx', Math.ceil(errors / 2)],
          ['err', Math.floor(errors / 2)],
        ];
        for (const [statusClass, requests] of byClass) {
          if (requests === 0) continue;
          counts.push(`(${base}, ${sqlString(statusClass)}, ${sqlString(batchId)}, ${sqlString(`proxy-${seq % 3}`)}, 7, ${requests})`);
          // A latency spread over 12 buckets, the canary's shifted up.
          let left = requests;
          for (let bucket = 0; bucket < 12 && left > 0; bucket++) {
            const count = bucket === 11 ? left : Math.min(left, Math.floor(requests * (bucket < 6 ? 0.15 : 0.02) * (0.5 + next())));
            if (count === 0) continue;
            left -= count;
            const valueUs = Math.round(1_000 * 1.6 ** bucket + side.slowUs);
            buckets.push(`(${base}, ${sqlString(statusClass)}, ${sqlString(batchId)}, ${bucket + 100}, ${valueUs}, ${count})`);
          }
        }
      }
      const windowEndMs = ts * 1000;
      const outcome = ['pass', 'inconclusive', 'fail'][Math.floor(next() * 3)] as string;
      const body = JSON.stringify({ schema: 'graylane.verdict/v2', rollout, outcome, reason: `${outcome} after ${minutesAgo} min` });
      verdicts.push(
        `(${sqlString(rollout)}, ${windowEndMs}, ${windowEndMs - 10_000}, 7, ${sqlString(utcText(ts))}, ${sqlString(outcome)}, ${sqlString(
          outcome === 'fail' ? 'rollback' : 'none',
        )}, ${sqlString(body)}, 'graylane.verdict/v2', '[]', ${(next() * 100).toFixed(3)}, ${windowEndMs - 60_000}, ${1 + Math.floor(next() * 9)})`,
      );
      seq += 1;
      events.push(
        `(${sqlString(utcText(ts))}, ${seq}, 'graylane.events.v1.config-changed', 'graylane.config-changed/v1', ${sqlString(String(seq))}, [${sqlString(
          rollout,
        )}], ${sqlString(JSON.stringify({ version: seq, rollouts: [rollout] }))})`,
      );
    }
  }
  const series = 'ts, minute, rollout, pool, version, region, status_class, batch_id';
  const countsInsert = `INSERT INTO ${database}.request_counts (${series}, proxy_id, config_version, requests) VALUES ${counts.join(', ')}`;
  const bucketsInsert = `INSERT INTO ${database}.latency_buckets (${series}, bucket, value_us, count) VALUES ${buckets.join(', ')}`;
  return [
    countsInsert,
    bucketsInsert,
    // The same batches again, as a JetStream redelivery writes them: FINAL must count them once.
    countsInsert,
    bucketsInsert,
    `INSERT INTO ${database}.verdicts (rollout, window_end_ms, window_start_ms, config_version, evaluated_at, outcome, action, body, schema, tests, max_e_value, evidence_since_ms, evidence_windows) VALUES ${verdicts.join(', ')}`,
    `INSERT INTO ${database}.events (at, stream_seq, subject, schema, event_id, rollouts, body) VALUES ${events.join(', ')}`,
  ];
}

import type { RolloutRecordV1, RoutingTableV1 } from '@graylane/contracts';
import { describe, expect, it } from 'vitest';
import { stepPlanOf, timelineOf } from './rollout-view.js';

function record(state: RolloutRecordV1['state'], weight: number, at: string): RolloutRecordV1 {
  return {
    name: 'web',
    state,
    updatedAt: at,
    updatedBy: 'alice',
    spec: {
      match: { pathPrefix: '/web' },
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:1'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:2'] },
      traffic: { weight },
      steps: [{ weight: 10, pause: '5m' }, { weight: 50 }],
    },
    step: { index: 1, startedAt: at },
  };
}

const table = (r: RolloutRecordV1 | undefined): RoutingTableV1 => ({ schema: 'graylane.routing-table/v1', rollouts: r === undefined ? {} : { web: r } });

describe('stepPlanOf', () => {
  it('places a progressing or paused rollout on its step, and no other', () => {
    expect(stepPlanOf(record('paused', 50, '2026-12-02T09:00:00Z'))).toEqual({
      steps: [{ weight: 10, pause: '5m' }, { weight: 50 }],
      index: 1,
      startedAt: '2026-12-02T09:00:00Z',
    });
    expect(stepPlanOf(record('rolled_back', 0, '2026-12-02T09:00:00Z')).index).toBeNull();
  });
});

describe('timelineOf', () => {
  it('draws the weight per changing version, oldest first, and ends at deletion', () => {
    const timeline = timelineOf(
      [
        { version: 1, table: table(record('progressing', 10, '2026-12-02T09:00:00.000Z')) },
        { version: 2, table: table(record('progressing', 10, '2026-12-02T09:00:00.000Z')) },
        { version: 3, table: table(record('rolled_back', 0, '2026-12-02T09:02:00.000Z')) },
        { version: 4, table: { ...table(undefined), lastChange: { command: 'delete', actor: 'bob', at: '2026-12-02T09:03:00.000Z' } } },
      ],
      'web',
      4,
    );
    expect(timeline?.weights).toEqual([
      { atMs: Date.parse('2026-12-02T09:00:00.000Z'), version: 1, weight: 10, state: 'progressing' },
      { atMs: Date.parse('2026-12-02T09:02:00.000Z'), version: 3, weight: 0, state: 'rolled_back' },
      { atMs: Date.parse('2026-12-02T09:03:00.000Z'), version: 4, weight: 0, state: 'deleted' },
    ]);
    expect(timeline?.history.map((h) => [h.version, h.actor])).toEqual([[4, 'bob'], [3, 'alice'], [1, 'alice']]);
    expect(timelineOf([], 'web', 0)).toBeUndefined();
  });
});

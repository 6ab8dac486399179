import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseWith, RolloutSpecV1 } from '@graylane/contracts';
import { demoRolloutSpec, demoRolloutYaml } from './demo-spec.js';

describe('the demo rollout', () => {
  const spec = demoRolloutSpec('http://127.0.0.1:9001', 'http://127.0.0.1:9002');

  it('is a valid RolloutSpecV1', () => {
    expect(parseWith(RolloutSpecV1, spec, 'demo rollout')).toEqual(spec);
  });

  it('sends 30 % of users, sticky by user id then IP, from v1 on backend 1 to v2 on backend 2', () => {
    expect(spec.metadata.name).toBe('demo');
    expect(spec.spec.match).toEqual({ pathPrefix: '/' });
    expect(spec.spec.stable).toEqual({ name: 'v1', upstreams: ['http://127.0.0.1:9001'] });
    expect(spec.spec.canary).toEqual({ name: 'v2', upstreams: ['http://127.0.0.1:9002'] });
    expect(spec.spec.traffic).toEqual({ weight: 30, stickyKey: ['header:x-user-id', 'ip'] });
    expect(spec.spec.responseHeaders).toBe(true);
    expect(spec.spec.analysis).toEqual({ interval: '10s', minRequests: 100, maxP99Ratio: 1.5, maxErrorRateIncrease: 0.01 });
  });

  it('reads back from its YAML file as the same valid spec', () => {
    const text = demoRolloutYaml(spec);
    expect(text.startsWith('#')).toBe(true);
    expect(parseWith(RolloutSpecV1, parse(text), 'demo-rollout.yaml')).toEqual(spec);
  });
});

import { stringify } from 'yaml';
import type { RolloutSpecV1 } from '@graylane/contracts';

/** Name of the rollout `graylane up` applies, and that the next-step hints refer to. */
export const DEMO_ROLLOUT = 'demo';

/**
 * The demo rollout: every path, 30 % of users (by `x-user-id`, else by IP) on v2, response
 * headers on so `curl -i` shows the decision, and guardrails tight enough that a slowed v2 is
 * rolled back within a minute of demo traffic.
 */
export function demoRolloutSpec(stableUpstream: string, canaryUpstream: string): RolloutSpecV1 {
  return {
    apiVersion: 'graylane.dev/v1',
    kind: 'Rollout',
    metadata: { name: DEMO_ROLLOUT },
    spec: {
      match: { pathPrefix: '/' },
      stable: { name: 'v1', upstreams: [stableUpstream] },
      canary: { name: 'v2', upstreams: [canaryUpstream] },
      responseHeaders: true,
      traffic: { weight: 30, stickyKey: ['header:x-user-id', 'ip'] },
      // Demo traffic is 50 req/s, so the canary sees about 150 requests per 10 s window.
      analysis: { interval: '10s', minRequests: 100, maxP99Ratio: 1.5, maxErrorRateIncrease: 0.01 },
    },
  };
}

/** The spec as the YAML file written beside the state, for the user to edit and re-apply. */
export function demoRolloutYaml(spec: RolloutSpecV1): string {
  return [
    '# The rollout "graylane up" applied. Edit it and run: graylane apply -f <this file>',
    stringify(spec, { flow: false }).trimEnd(),
    '',
  ].join('\n');
}

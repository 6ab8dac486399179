import { describe, expect, it } from 'vitest';
import { mergeWorkerMetrics } from './merge-metrics.js';

const worker = (version: number, requests: number): string =>
  [
    '# HELP graylane_proxy_config_version Config version (KV revision) this proxy serves with.',
    '# TYPE graylane_proxy_config_version gauge',
    `graylane_proxy_config_version ${version}`,
    '# TYPE graylane_proxy_requests_total counter',
    `graylane_proxy_requests_total{pool="v1",code="2xx"} ${requests}`,
    '# TYPE graylane_proxy_request_duration_seconds histogram',
    'graylane_proxy_request_duration_seconds_bucket{pool="v1",le="0.005"} 3',
    'graylane_proxy_request_duration_seconds_bucket{pool="v1",le="+Inf"} 4',
    'graylane_proxy_request_duration_seconds_sum{pool="v1"} 0.01',
    'graylane_proxy_request_duration_seconds_count{pool="v1"} 4',
    '',
  ].join('\n');

describe('mergeWorkerMetrics', () => {
  const merged = mergeWorkerMetrics([
    { worker: '1', text: worker(7, 10) },
    { worker: '2', text: worker(7, 5) },
  ]);
  const lines = merged.split('\n');

  it('labels every sample with its worker, so no series is counted twice', () => {
    expect(lines).toContain('graylane_proxy_config_version{worker="1"} 7');
    expect(lines).toContain('graylane_proxy_config_version{worker="2"} 7');
    expect(lines).toContain('graylane_proxy_requests_total{worker="1",pool="v1",code="2xx"} 10');
    expect(lines).toContain('graylane_proxy_requests_total{worker="2",pool="v1",code="2xx"} 5');
    const samples = lines.filter((line) => line !== '' && !line.startsWith('#'));
    expect(samples).toHaveLength(12);
    expect(samples.every((line) => /\{worker="[12]"/.test(line))).toBe(true);
  });

  it('writes each HELP and TYPE once, with all workers\' samples of that family right after it', () => {
    expect(lines.filter((line) => line === '# TYPE graylane_proxy_request_duration_seconds histogram')).toHaveLength(1);
    const typeAt = lines.indexOf('# TYPE graylane_proxy_request_duration_seconds histogram');
    const family = lines.slice(typeAt + 1, typeAt + 9);
    expect(family.every((line) => line.startsWith('graylane_proxy_request_duration_seconds_'))).toBe(true);
    expect(lines[typeAt + 9]).toBe('');
  });
});

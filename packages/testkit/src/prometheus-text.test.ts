import { describe, expect, it } from 'vitest';
import { metricNamesInPromQL, parsePrometheusText } from './prometheus-text.js';

const GOOD = [
  '# HELP http_requests_total Requests, by "code".\\nSecond line.',
  '# TYPE http_requests_total counter',
  'http_requests_total{code="200",path="/a\\"b\\\\c"} 1027',
  'http_requests_total{code="500",} 3 1395066363000',
  '',
  '# a comment',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1"} 2',
  'latency_seconds_bucket{le="+Inf"} 3',
  'latency_seconds_sum 0.4',
  'latency_seconds_count 3',
  '# TYPE up gauge',
  'up Nan',
  'temperature -Inf',
  '',
].join('\n');

describe('parsePrometheusText', () => {
  it('reads families, types, help, escaped label values and special values', () => {
    const families = parsePrometheusText(GOOD);
    expect([...families.keys()]).toEqual(['http_requests_total', 'latency_seconds', 'up', 'temperature']);
    const requests = families.get('http_requests_total');
    expect(requests?.help).toBe('Requests, by "code".\nSecond line.');
    expect(requests?.samples[0]).toEqual({ name: 'http_requests_total', labels: { code: '200', path: '/a"b\\c' }, value: 1027 });
    expect(families.get('latency_seconds')?.samples).toHaveLength(4);
    expect(families.get('up')?.samples[0]?.value).toBeNaN();
    expect(families.get('temperature')).toMatchObject({ type: 'untyped', samples: [{ value: -Infinity }] });
  });

  it.each([
    ['no final newline', 'a 1', /end with a newline/],
    ['a TYPE after the samples', 'a 1\n# TYPE a gauge\n', /TYPE for a after its samples/],
    ['a family split in two', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n', /family a continues/],
    ['a duplicate series', 'a{x="1",y="2"} 1\na{y="2",x="1"} 2\n', /duplicate series/],
    ['a label given twice', 'a{x="1",x="2"} 1\n', /label x given twice/],
    ['a bad escape', 'a{x="\\t"} 1\n', /invalid escape/],
    ['a bad value', 'a 1,5\n', /invalid value/],
    ['no value', 'a{x="1"}\n', /value/],
    ['a foreign sample in a histogram', '# TYPE h histogram\nh 1\n', /does not belong to histogram h/],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n', /no le="\+Inf"/],
    ['buckets not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n', /not cumulative/],
    ['_count unlike +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n', /_count 3 differs/],
    ['a negative counter', '# TYPE c counter\nc -1\n', /counter c is -1/],
    ['an unknown type', '# TYPE c countr\n', /unknown type/],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});

describe('metricNamesInPromQL', () => {
  it('finds the metric names, folds histogram suffixes into their family and skips label values', () => {
    const expr = 'histogram_quantile(0.99, sum by (le, pool) (rate(app_latency_seconds_bucket{job="app_x_total"}[5m]))) / app_requests_total';
    expect(metricNamesInPromQL(expr, ['app_'], new Set(['app_latency_seconds']))).toEqual(['app_latency_seconds', 'app_requests_total']);
  });
});

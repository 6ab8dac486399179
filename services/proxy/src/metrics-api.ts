// What simulations of the data plane take from the proxy (bench/src/judge.ts): the aggregator
// that turns requests into per-second series. Imported as `@graylane/proxy/metrics`.
export { MetricAggregator, statusClassOf } from './metrics/metric-aggregator.js';

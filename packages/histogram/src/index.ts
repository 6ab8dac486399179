export {
  HISTOGRAM_LAYOUT,
  MAX_RELATIVE_ERROR,
  MIN_VALUE_US,
  MAX_VALUE_US,
  BUCKET_COUNT,
  bucketIndexOf,
  bucketValueUs,
} from './layout.js';
export { HistogramDecodeError } from './errors.js';
export { LatencyHistogram } from './latency-histogram.js';
export { quantileFromEntries, rankOf } from './quantile.js';

export { BUCKETS, MAX_KEY_UNITS, bucketOf, weightToBasisPoints, inCanary } from './buckets.js';
export { cookieValue, cookieValueStart, lastCookieValueEnd } from './cookie.js';
export { DEFAULT_STICKY_KEY } from './sticky-key.js';
export { MAX_REGEX_INPUT } from './rules.js';
export { compileRollout } from './rollout.js';
export { compileTable, EMPTY_TABLE } from './table.js';
export { POOL_NAME_PATTERN, upstreamProblem } from './pool-spec.js';
export { firstHeaderValue, type HeaderRecord } from './header-snapshot.js';
export type {
  Side,
  DecisionReason,
  ListedUser,
  RequestFacts,
  FoundFacts,
  CompiledPool,
  PoolHealth,
  Decision,
  SessionSettings,
  CompiledRollout,
  RoutingTable,
} from './types.js';
export { METADATA_TARGETS, metadataTargetOf } from './metadata-ranges.js';

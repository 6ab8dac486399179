export { findBinary } from '@graylane/stack';
export {
  clickHouseServerCommand,
  natsServerCommand,
  redisServerCommand,
  type ServerCommand,
} from '@graylane/stack';
export { freePort, waitForHttp, waitForTcp } from '@graylane/stack';
export { differencesFromDoc, documentedMetrics, type DocumentedMetric } from './metrics-doc.js';
export {
  metricNamesInPromQL,
  parsePrometheusText,
  type PrometheusFamily,
  type PrometheusSample,
  type PrometheusType,
} from './prometheus-text.js';
export { startClickHouse, startClosedNats, startNats, startNatsCluster, startRedis, type ClosedNats } from './servers.js';
export {
  generateNatsCredentials,
  natsEnvFor,
  natsUrlWith,
  randomSecret,
  renderNatsAuthorization,
  type NatsCredentials,
  type NatsUser,
  type ServiceRole,
} from '@graylane/stack';
export type { RunningServer } from '@graylane/stack';
export {
  NO_UPSTREAMS,
  rolloutManifest,
  rolloutRecord,
  routingTableOf,
  type RolloutManifest,
  type RecordOptions,
  type RolloutOptions,
  type RolloutRecord,
  type RolloutSpecFields,
  type RolloutStep,
} from './fixtures/rollouts.js';
export { writeRolloutFile } from './fixtures/rollout-file.js';
export { REPO_ROOT, serviceLogs, startService, stopProcess, type ServiceProcess } from './service-process.js';
export { eventually, proxyAtVersion, untilOk } from './wait-until-ready.js';

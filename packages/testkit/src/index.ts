export { findBinary } from '@graylane/stack';
export {
  clickHouseServerCommand,
  natsServerCommand,
  NATS_AUTH_CONFIG,
  redisServerCommand,
  type ServerCommand,
} from '@graylane/stack';
export { freePort, waitForHttp, waitForTcp } from '@graylane/stack';
export { differencesFromDoc, documentedMetrics, METRICS_DOC, type DocumentedMetric } from './metrics-doc.js';
export {
  metricNamesInPromQL,
  parsePrometheusText,
  PrometheusTextError,
  type PrometheusFamily,
  type PrometheusSample,
  type PrometheusType,
} from './prometheus-text.js';
export { startClickHouse, startClosedNats, startNats, startNatsCluster, startRedis, type ClosedNats } from './servers.js';
export {
  SERVICE_USERS,
  generateNatsCredentials,
  natsEnvFor,
  natsUrlWith,
  operatorPermissions,
  randomSecret,
  renderNatsAuthorization,
  shippedPermissionsFile,
  type NatsCredentials,
  type NatsUser,
  type ServiceRole,
} from '@graylane/stack';
export type { RunningServer } from '@graylane/stack';

export { findBinary } from './binaries.js';
export {
  clickHouseServerCommand,
  natsServerCommand,
  NATS_AUTH_CONFIG,
  redisServerCommand,
  type ServerCommand,
} from './commands.js';
export { freePort, waitForHttp, waitForTcp } from './ports.js';
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
} from './nats-auth.js';
export type { RunningServer } from './supervisor.js';

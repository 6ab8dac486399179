export { createLogger, type Logger } from './logger.js';
export {
  ConfigError,
  type Env,
  portFrom,
  urlFrom,
  positiveIntFrom,
  stringFrom,
  natsUrlFrom,
  DEFAULT_NATS_URL,
  DEFAULT_REDIS_URL,
  DEFAULT_CLICKHOUSE_URL,
} from './env.js';
export {
  connectNats,
  natsConnectionOptions,
  type NatsConnectOptions,
  type NatsConnection,
  type Msg,
  type Subscription,
  encodeJson,
  decodeJson,
} from './nats.js';
export { natsAuthFrom, secretFrom, sealNatsAuth, IDENTITY_PATTERN, type NatsAuth } from './nats-auth.js';
export { redactNatsUrl, type ParsedNatsUrl } from './nats-url.js';
export {
  closeOnSignals,
  closeHttpWithin,
  drainGraceFrom,
  shutdownBudgetMs,
  type Closer,
  type ShutdownOptions,
} from './shutdown.js';
export { httpStatusOf, asGraylaneError } from './http-errors.js';
export {
  type HttpAuth,
  type NamedToken,
  MIN_TOKEN_LENGTH,
  httpAuthFrom,
  httpAuthOf,
  checkBearer,
  openAuthWarning,
} from './http-auth.js';
export { bindHostFrom } from './bind-host.js';
export { openConfigBucket, CONFIG_HISTORY, type KV, type KvEntry, type KvWatchEntry } from './config-bucket.js';
export {
  ensureMetricsStream,
  ensureEventsStream,
  ensureDurableConsumer,
  jetstreamReplicasFrom,
  type DurableConsumerSettings,
  type StreamOptions,
  METRICS_DEDUP_WINDOW_MS,
  METRICS_MAX_AGE_MS,
  EVENTS_DEDUP_WINDOW_MS,
  EVENTS_MAX_AGE_MS,
} from './streams.js';
export { isJetStreamStarting, untilJetStreamAnswers } from './jetstream-ready.js';
export { keepRunning } from './keep-running.js';

import { jetstream } from '@nats-io/jetstream';
import { closeOnSignals, connectNats, createLogger, ensureMetricsStream, keepRunning, openConfigBucket } from '@graylane/runtime';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { startFlushLoop } from './metrics/flush-loop.js';
import { watchConfig } from './nats/config-watcher.js';
import { startHeartbeat } from './nats/heartbeat.js';
import { connectSessionRedis } from './session/redis-client.js';
import { applyAnnouncedBindings, bindingAnnouncer } from './session/binding-broadcast.js';

const config = loadConfig(process.env);
const logger = createLogger('graylane-proxy', config.logLevel).child({ proxyId: config.proxyId });
const nc = await connectNats(config.natsUrl, logger, { name: `graylane-proxy-${config.proxyId}`, waitForServer: true, auth: config.natsAuth });
await ensureMetricsStream(nc);
const js = jetstream(nc);
// Not awaited: the proxy serves without Redis (deciding without bindings) until it connects.
const redis = connectSessionRedis(config.sessions.redisUrl, logger.child({ module: 'sessions' }));

const app = buildApp({
  proxyId: config.proxyId,
  publish: (subject, data, msgID) => js.publish(subject, data, { msgID }),
  maxUnsentBatches: config.maxUnsentBatches,
  upstreamTimeoutMs: config.upstreamTimeoutMs,
  natsConnected: () => !nc.isClosed(),
  logger,
  forwarding: config.forwarding,
  sessions: { redis, config: config.sessions, announce: bindingAnnouncer(nc, config.proxyId, logger.child({ module: 'sessions' })) },
});

const kv = await openConfigBucket(nc);
const configLogger = logger.child({ module: 'config' });
void keepRunning('config watch', () => watchConfig(kv, app.holder, configLogger), {
  logger: configLogger,
  stopped: () => nc.isClosed() || nc.isDraining(),
});
const version = (): number => app.holder.current.version;
const stopHeartbeat = startHeartbeat(nc, config.proxyId, version, 2000, app.holder);
const stopFlushing = startFlushLoop(app.metrics, app.publisher, version, config.metricsIntervalMs, logger);
// Bindings other proxies move or clear reach this proxy's cache at once, not after its TTL.
const stopApplyingBindings =
  app.bindings === undefined ? () => undefined : applyAnnouncedBindings(nc, app.bindings, config.proxyId, logger.child({ module: 'sessions' }));

await app.admin.listen({ port: config.adminPort, host: '0.0.0.0' });
await app.dataPlane.listen({ port: config.port, host: '0.0.0.0' });
logger.info({ port: config.port, adminPort: config.adminPort }, 'proxy listening');
app.health.start();

closeOnSignals(logger, [
  () => redis.disconnect(),
  () => nc.drain(),
  () => app.upstreams.close(),
  stopFlushing,
  stopHeartbeat,
  stopApplyingBindings,
  () => app.retirer.stop(),
  () => app.admin.close(),
  () => app.dataPlane.close(),
  () => app.forwarder.close(),
  () => app.health.stop(),
  // Closers run last to first: the drain goes first, while readyz still answers (false) and NATS still takes metrics.
  async () => {
    const cut = await app.drainer.drain(app.dataPlane, config.forwarding.drainGraceMs);
    logger.info({ cut }, 'data plane drained');
  },
]);

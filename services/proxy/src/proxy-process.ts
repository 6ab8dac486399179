import { jetstream } from '@nats-io/jetstream';
import { closeOnSignals, connectNats, createLogger, ensureMetricsStream, keepRunning, openAuthWarning, openConfigBucket, untilJetStreamAnswers } from '@graylane/runtime';
import { buildApp } from './app.js';
import type { ProxyConfig } from './config.js';
import { startFlushLoop } from './metrics/flush-loop.js';
import { watchConfig } from './nats/config-watcher.js';
import { startHeartbeat } from './nats/heartbeat.js';
import { connectSessionRedis } from './session/redis-client.js';
import { applyAnnouncedBindings, bindingAnnouncer } from './session/binding-broadcast.js';
import type { WorkerLink } from './workers/worker-link.js';

/**
 * One full data plane: watches the config, routes and forwards, publishes metric batches and
 * heartbeats, drains on SIGTERM. Without `worker` it is the whole proxy (GRAYLANE_PROXY_WORKERS=1)
 * and listens as it always did; as a worker it names itself `<proxyId>-w<N>`, shares the data-plane
 * port with the other workers and serves its admin on a loopback port the primary relays to.
 */
export async function runProxy(config: ProxyConfig, worker?: WorkerLink): Promise<void> {
  const proxyId = worker === undefined ? config.proxyId : `${config.proxyId}-w${worker.id}`;
  const logger = createLogger('graylane-proxy', config.logLevel).child({ proxyId });
  const openWarning = openAuthWarning(config.adminAuth, 'the admin port (moving and clearing session bindings)');
  if (openWarning !== undefined) logger.warn(openWarning);
  const nc = await connectNats(config.natsUrl, logger, { name: `graylane-proxy-${proxyId}`, waitForServer: true, auth: config.natsAuth });
  await untilJetStreamAnswers(nc, logger);
  await ensureMetricsStream(nc, { replicas: config.jetstreamReplicas });
  const js = jetstream(nc);
  // Not awaited: the proxy serves without Redis (deciding without bindings) until it connects.
  const redis = connectSessionRedis(config.sessions.redisUrl, logger.child({ module: 'sessions' }));

  const app = buildApp({
    proxyId,
    publish: (subject, data, msgID) => js.publish(subject, data, { msgID }),
    maxUnsentBatches: config.maxUnsentBatches,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    natsConnected: () => !nc.isClosed(),
    logger,
    forwarding: config.forwarding,
    clientLimits: config.clientLimits,
    adminAuth: config.adminAuth,
    sessions: { redis, config: config.sessions, announce: bindingAnnouncer(nc, proxyId, logger.child({ module: 'sessions' })) },
  });

  const kv = await openConfigBucket(nc, undefined, { replicas: config.jetstreamReplicas });
  const configLogger = logger.child({ module: 'config' });
  void keepRunning('config watch', () => watchConfig(kv, app.holder, configLogger), {
    logger: configLogger,
    stopped: () => nc.isClosed() || nc.isDraining(),
  });
  const version = (): number => app.holder.current.version;
  const stopHeartbeat = startHeartbeat(nc, proxyId, version, 2000, app.holder);
  const stopFlushing = startFlushLoop(app.metrics, app.publisher, version, config.metricsIntervalMs, logger);
  // Bindings other proxies (and other workers) move or clear reach this proxy's cache at once, not after its TTL.
  const stopApplyingBindings =
    app.bindings === undefined ? () => undefined : applyAnnouncedBindings(nc, app.bindings, proxyId, logger.child({ module: 'sessions' }));

  if (worker === undefined) {
    // The admin port moves sessions and shows the config: loopback unless GRAYLANE_ADMIN_HOST publishes it.
    await app.admin.listen({ port: config.adminPort, host: config.adminHost });
    await app.dataPlane.listen({ port: config.port, host: '0.0.0.0' });
    logger.info({ port: config.port, adminPort: config.adminPort, adminHost: config.adminHost }, 'proxy listening');
  } else {
    // The admin port belongs to the primary; this worker's admin is reachable from this host only.
    // exclusive: its own socket, not one shared through the primary as cluster does by default.
    await app.admin.listen({ port: 0, host: '127.0.0.1', exclusive: true });
    await worker.listenDataPlane(app.dataPlane.server, config.port, '0.0.0.0');
    const address = app.admin.server.address();
    worker.announceAdmin(typeof address === 'object' && address !== null ? address.port : 0);
    logger.info({ port: config.port, worker: worker.id }, 'proxy worker listening');
  }
  app.health.start();

  const shutDown = closeOnSignals(logger, [
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
  ], { graceMs: config.forwarding.drainGraceMs });
  worker?.onDrain(shutDown);
}

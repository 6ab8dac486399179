import { closeHttpWithin, closeOnSignals, connectNats, createLogger, ensureEventsStream, openAuthWarning, openConfigBucket, untilJetStreamAnswers } from '@graylane/runtime';
import { buildApp } from './app.js';
import { CommandService } from './commands/command-service.js';
import { loadConfig } from './config.js';
import { serveCommands } from './nats/command-responder.js';
import { configChangedPublisher } from './nats/event-publisher.js';
import { HeartbeatTracker } from './nats/heartbeat-tracker.js';
import { consumeRollbacks } from './nats/rollback-consumer.js';
import { consumeGuardrailPauses } from './nats/guardrail-pause-consumer.js';
import { startStepDriver } from './steps/step-driver.js';
import { StepLease } from './steps/step-lease.js';
import { natsVerdictSource } from './steps/verdict-client.js';
import { RoutingTableStore } from './store/routing-table-store.js';

const config = loadConfig(process.env);
const logger = createLogger('graylane-config', config.logLevel).child({ replicaId: config.replicaId });
const openWarning = openAuthWarning(config.apiAuth, 'the HTTP command API (every rollout change)');
if (openWarning !== undefined) logger.warn(openWarning);
const nc = await connectNats(config.natsUrl, logger, { name: 'graylane-config', waitForServer: true, auth: config.natsAuth });
await untilJetStreamAnswers(nc, logger);
await ensureEventsStream(nc, { replicas: config.jetstreamReplicas });
const kv = await openConfigBucket(nc, undefined, { replicas: config.jetstreamReplicas });
const heartbeats = new HeartbeatTracker();
const heartbeatSubscription = heartbeats.listen(nc);
const service = new CommandService(new RoutingTableStore(kv), logger.child({ module: 'commands' }), () => new Date(), {
  onWritten: configChangedPublisher(nc),
  proxies: () => heartbeats.live(),
  upstreamPolicy: { allowLinkLocal: config.allowLinkLocalUpstreams },
});
if (config.allowLinkLocalUpstreams) logger.warn('GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS=true: rollouts may send traffic to link-local and cloud metadata addresses');
const subscription = serveCommands(nc, service, logger.child({ module: 'nats' }), { acceptV1: config.acceptV1Commands });
const stopRollbacks = await consumeRollbacks(nc, service, logger.child({ module: 'rollbacks' }));
const stopPauses = await consumeGuardrailPauses(nc, service, logger.child({ module: 'guardrail-pauses' }));
const steps = startStepDriver(
  service,
  new StepLease(kv, config.replicaId, config.stepLeaseMs),
  config.stepTickMs,
  logger.child({ module: 'steps' }),
  natsVerdictSource(nc),
);
const app = buildApp({ service, auth: config.apiAuth, isReady: () => !nc.isClosed(), steps: steps.stats, proxies: () => heartbeats.live(), logger });
// Loopback unless GRAYLANE_HTTP_HOST publishes the API on purpose.
await app.listen({ port: config.port, host: config.host });
logger.info({ port: config.port, host: config.host }, 'config service ready');

// Release the step lease first so another replica takes over at once, then stop listening.
closeOnSignals(logger, [
  () => nc.drain(),
  () => closeHttpWithin(app, config.drainGraceMs),
  () => subscription.unsubscribe(),
  () => heartbeatSubscription.unsubscribe(),
  stopRollbacks,
  stopPauses,
  steps.stop,
], { graceMs: config.drainGraceMs });

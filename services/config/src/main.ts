import { closeOnSignals, connectNats, createLogger, openConfigBucket } from '@graylane/runtime';
import { buildApp } from './app.js';
import { CommandService } from './commands/command-service.js';
import { loadConfig } from './config.js';
import { serveCommands } from './nats/command-responder.js';
import { RoutingTableStore } from './store/routing-table-store.js';

const config = loadConfig(process.env);
const logger = createLogger('graylane-config', config.logLevel);
const nc = await connectNats(config.natsUrl, logger, { name: 'graylane-config', waitForServer: true });
const store = new RoutingTableStore(await openConfigBucket(nc));
const service = new CommandService(store, logger.child({ module: 'commands' }));
const subscription = serveCommands(nc, service, logger.child({ module: 'nats' }));
const app = buildApp({ service, apiToken: config.apiToken, isReady: () => !nc.isClosed(), logger });
await app.listen({ port: config.port, host: '0.0.0.0' });
logger.info({ port: config.port }, 'config service ready');

closeOnSignals(logger, [() => nc.drain(), () => subscription.unsubscribe(), () => app.close()]);

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '@graylane/runtime';
import { registerRoutes, type HttpDeps } from './http/routes.js';

export interface AppDeps extends HttpDeps {
  logger: Logger;
}

/** The config service's HTTP app, without listening, so tests can inject requests. */
export function buildApp(deps: AppDeps): FastifyInstance {
  // Typed as fastify's base logger so the app has fastify's default instance type.
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ module: 'http' });
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  registerRoutes(app, deps);
  return app;
}

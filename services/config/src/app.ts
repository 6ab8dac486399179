import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '@graylane/runtime';
import { registerRoutes, type HttpDeps } from './http/routes.js';

export interface AppDeps extends HttpDeps {
  logger: Logger;
}

/** The config service's HTTP app, without listening, so tests can inject requests. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger.child({ module: 'http' }), disableRequestLogging: true });
  registerRoutes(app, deps);
  return app as unknown as FastifyInstance;
}

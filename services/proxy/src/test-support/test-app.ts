import { pino } from 'pino';
import { buildApp, type ProxyApp, type ProxyAppDeps } from '../app.js';

/**
 * A proxy app for tests: metrics published nowhere, NATS "connected", silent logs, a 2 s upstream
 * timeout; `deps` names the test's proxy id and overrides or adds anything else.
 */
export function buildTestApp(deps: Partial<ProxyAppDeps> & { proxyId: string }): ProxyApp {
  return buildApp({
    publish: async () => undefined,
    maxUnsentBatches: 10,
    upstreamTimeoutMs: 2000,
    natsConnected: () => true,
    logger: pino({ level: 'silent' }),
    ...deps,
  });
}

import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@graylane/runtime';
import { Counter, Gauge, Registry } from 'prom-client';
import { mergeWorkerMetrics } from './merge-metrics.js';
import { sumJson } from './sum-json.js';

/** A live worker whose admin server the primary can reach. */
export interface WorkerAdmin {
  readonly id: number;
  readonly pid: number | undefined;
  readonly port: number;
}

export interface PrimaryAdminDeps {
  /** Live workers that announced their admin port, in id order. */
  workers(): readonly WorkerAdmin[];
  draining(): boolean;
  /** Workers the primary keeps running (GRAYLANE_PROXY_WORKERS). */
  configured: number;
  restarts(): number;
  logger: Logger;
}

/** How long the primary waits for one worker's admin answer: a stuck worker must not stall /metrics. */
const WORKER_ADMIN_TIMEOUT_MS = 2000;

interface WorkerReadiness {
  id: number;
  pid: number | undefined;
  ready: boolean;
  configVersion: number;
  nats: boolean;
  draining: boolean;
}

/**
 * The proxy's admin port with N workers, served by the primary: `/readyz`, `/metrics` and the session
 * store's counters (`GET /_graylane/sessions`, summed) over all
 * workers (each sample labelled with its worker), everything else (session bindings, explain)
 * relayed to one worker, whose changes reach the others over NATS as they reach other proxies.
 */
export function buildPrimaryAdmin(deps: PrimaryAdminDeps): Server {
  const scrape = { answered: 0 };
  const own = { registry: primaryRegistry(deps, () => scrape.answered), scrape };
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && path === '/healthz') return answer(200, { ok: true });
    if (req.method === 'GET' && path === '/readyz') {
      void readiness(deps).then(
        (body) => answer(body.ready ? 200 : 503, body),
        (error: unknown) => answer(500, { ready: false, error: (error as Error).message }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      void metrics(deps, own).then(
        (text) => res.writeHead(200, { 'content-type': own.registry.contentType }).end(text),
        (error: unknown) => answer(500, { error: (error as Error).message }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/_graylane/sessions') {
      // The session store's counters are per worker; the proxy's are their sum.
      void sessionStats(deps).then(
        (body) => answer(body.status, body.json),
        (error: unknown) => answer(500, { error: (error as Error).message }),
      );
      return;
    }
    const target = deps.workers()[0];
    if (target === undefined) return answer(503, { error: 'no proxy worker is running yet' });
    relay(req, res, target.port, deps.logger);
  });
}

async function readiness(deps: PrimaryAdminDeps): Promise<{ ready: boolean; configVersion: number; nats: boolean; draining: boolean; workers: WorkerReadiness[] }> {
  const workers = await Promise.all(
    deps.workers().map(async (worker): Promise<WorkerReadiness> => {
      try {
        const response = await fetch(`http://127.0.0.1:${worker.port}/readyz`, { signal: AbortSignal.timeout(WORKER_ADMIN_TIMEOUT_MS) });
        const body = (await response.json()) as { ready?: boolean; configVersion?: number; nats?: boolean; draining?: boolean };
        return { id: worker.id, pid: worker.pid, ready: body.ready === true, configVersion: body.configVersion ?? 0, nats: body.nats === true, draining: body.draining === true };
      } catch {
        return { id: worker.id, pid: worker.pid, ready: false, configVersion: 0, nats: false, draining: false };
      }
    }),
  );
  const ready = workers.filter((worker) => worker.ready);
  const draining = deps.draining();
  return {
    // Ready while any worker serves: one being replaced must not take the whole proxy out of the load balancer.
    ready: !draining && ready.length > 0,
    // The version every ready worker has applied at least (each applies newer ones on its own).
    configVersion: ready.length === 0 ? 0 : Math.min(...ready.map((worker) => worker.configVersion)),
    nats: workers.length > 0 && workers.every((worker) => worker.nats),
    draining,
    workers,
  };
}

/**
 * The primary's own metrics, in a registry of its own: workers configured and live, and restarts.
 * `answered` is the number of workers whose exposition the current scrape merged.
 */
function primaryRegistry(deps: PrimaryAdminDeps, answered: () => number): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'graylane_proxy_workers',
    help: 'Proxy worker processes: configured, and live that answered this scrape.',
    labelNames: ['state'],
    registers: [registry],
    collect: function collect() {
      this.set({ state: 'configured' }, deps.configured);
      this.set({ state: 'live' }, answered());
    },
  });
  new Counter({
    name: 'graylane_proxy_worker_restarts_total',
    help: 'Workers that died and were replaced.',
    registers: [registry],
    collect: function collect() {
      this.reset();
      this.inc(deps.restarts());
    },
  });
  return registry;
}

async function metrics(deps: PrimaryAdminDeps, own: { registry: Registry; scrape: { answered: number } }): Promise<string> {
  const texts = await Promise.all(
    deps.workers().map(async (worker) => {
      try {
        const response = await fetch(`http://127.0.0.1:${worker.port}/metrics`, { signal: AbortSignal.timeout(WORKER_ADMIN_TIMEOUT_MS) });
        return { worker: String(worker.id), text: await response.text() };
      } catch {
        return { worker: String(worker.id), text: '' };
      }
    }),
  );
  const answered = texts.filter((worker) => worker.text !== '');
  own.scrape.answered = answered.length;
  // Workers' families get a worker label each; the primary's own have names no worker uses, so nothing is counted twice.
  return mergeWorkerMetrics(answered) + (await own.registry.metrics());
}

async function sessionStats(deps: PrimaryAdminDeps): Promise<{ status: number; json: unknown }> {
  const answers = await Promise.all(
    deps.workers().map(async (worker) => {
      const response = await fetch(`http://127.0.0.1:${worker.port}/_graylane/sessions`, { signal: AbortSignal.timeout(WORKER_ADMIN_TIMEOUT_MS) });
      return { status: response.status, json: await response.json() };
    }),
  );
  if (answers.length === 0) return { status: 503, json: { error: 'no proxy worker is running yet' } };
  // Without Redis no worker has the route (404): pass that answer on as it is.
  const failed = answers.find((answer) => answer.status !== 200);
  return failed ?? { status: 200, json: sumJson(answers.map((answer) => answer.json)) };
}

function relay(req: IncomingMessage, res: ServerResponse, port: number, logger: Logger): void {
  const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.setTimeout(WORKER_ADMIN_TIMEOUT_MS * 5, () => upstream.destroy(new Error('worker admin timed out')));
  upstream.on('error', (error) => {
    logger.warn({ err: error }, 'admin request to a proxy worker failed');
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'proxy worker unavailable' }));
    else res.destroy();
  });
  req.pipe(upstream);
}

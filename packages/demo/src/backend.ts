import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** How a demo backend behaves; changeable at run time through `PUT /_demo/settings`. */
export interface BackendSettings {
  /** Typical response time. */
  latencyMs: number;
  /** Share of requests (0–1) that also wait `tailMs` more: the slow tail a P99 sees and an average hides. */
  tailRate: number;
  tailMs: number;
  /** Share of requests (0–1) answered with 500. */
  errorRate: number;
}

export const DEFAULT_SETTINGS: BackendSettings = { latencyMs: 5, tailRate: 0.02, tailMs: 20, errorRate: 0 };

/** A running demo backend. */
export interface DemoBackend {
  readonly server: Server;
  readonly settings: BackendSettings;
  /** Requests answered so far (any status). */
  readonly served: () => number;
}

/**
 * A stand-in for one version of a service: answers every path with JSON naming its version,
 * after a configurable delay, failing a configurable share of requests.
 */
export function createDemoBackend(version: string, initial: Partial<BackendSettings> = {}): DemoBackend {
  const settings: BackendSettings = { ...DEFAULT_SETTINGS, ...initial };
  let served = 0;
  const server = createServer((req, res) => {
    if (req.url === '/_demo/settings') {
      handleSettings(req, res, settings);
      return;
    }
    req.resume();
    const delay = delayOf(settings);
    setTimeout(() => {
      served += 1;
      const failed = Math.random() < settings.errorRate;
      const body = JSON.stringify({ version, path: req.url, ok: !failed });
      res.writeHead(failed ? 500 : 200, { 'content-type': 'application/json', 'x-demo-version': version });
      res.end(body);
    }, delay);
  });
  server.keepAliveTimeout = 65_000;
  return { server, settings, served: () => served };
}

function delayOf(settings: BackendSettings): number {
  const base = settings.latencyMs * (0.75 + 0.5 * Math.random());
  return Math.random() < settings.tailRate ? base + settings.tailMs : base;
}

function handleSettings(req: IncomingMessage, res: ServerResponse, settings: BackendSettings): void {
  if (req.method === 'GET') {
    sendJson(res, 200, settings);
    return;
  }
  if (req.method !== 'PUT' && req.method !== 'POST') {
    sendJson(res, 405, { error: 'use GET or PUT' });
    return;
  }
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    text += chunk;
  });
  req.on('end', () => {
    const problem = applySettings(settings, text);
    sendJson(res, problem === undefined ? 200 : 400, problem === undefined ? settings : { error: problem });
  });
}

/** Applies a JSON patch of settings; returns what is wrong with it, or undefined. */
export function applySettings(settings: BackendSettings, text: string): string | undefined {
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch {
    return 'body must be JSON, e.g. {"latencyMs": 50, "errorRate": 0.05}';
  }
  if (patch === null || typeof patch !== 'object') return 'body must be a JSON object';
  const next = { ...settings };
  for (const [key, value] of Object.entries(patch)) {
    if (!(key in settings)) return `unknown setting "${key}"; known: ${Object.keys(settings).join(', ')}`;
    const isRate = key === 'errorRate' || key === 'tailRate';
    if (typeof value !== 'number' || value < 0 || (isRate && value > 1)) {
      return `${key} must be a number ${isRate ? 'from 0 to 1' : '>= 0'}, got ${JSON.stringify(value)}`;
    }
    next[key as keyof BackendSettings] = value;
  }
  Object.assign(settings, next);
  return undefined;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

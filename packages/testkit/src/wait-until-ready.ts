// Waiting for something that becomes true by itself (a service ready, a proxy at a config
// version, a row in ClickHouse): poll, keep the last error, and say what was awaited on timeout.
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceLogs, type ServiceProcess } from './service-process.js';

const POLL_MS = 200;
/**
 * How long one GET may take before the attempt counts as failed and the next poll starts: well
 * above what a /readyz may take by design (analytics gives its checks 2 s), so a slow answer on a
 * loaded machine is still an answer, while a hung one cannot outlast the wait.
 */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(POLL_MS);
  }
  const cause = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

/**
 * Waits until GET `url` answers 200 (a service's /readyz or /healthz). With `watched`, the wait
 * fails as soon as one of those processes exits, and its error carries their output: a service
 * that dies at start is otherwise only a connection refused for the whole timeout, with no trace
 * of why in a CI log.
 */
export async function untilOk(what: string, url: string, timeoutMs = 30_000, watched: readonly ServiceProcess[] = []): Promise<void> {
  let exited: ServiceProcess | undefined;
  try {
    await eventually(what, timeoutMs, async () => {
      exited = watched.find(hasExited);
      if (exited !== undefined) return true;
      return (await getText(url)).status === 200 ? true : undefined;
    });
  } catch (error) {
    if (watched.length === 0) throw error;
    throw new Error(`${(error as Error).message}\n${serviceLogs(watched)}`, { cause: error });
  }
  if (exited !== undefined) {
    const { exitCode, signalCode } = exited.child;
    throw new Error(`${exited.name} exited (${signalCode ?? `code ${String(exitCode)}`}) while waiting for ${what}\n${serviceLogs(watched)}`);
  }
}

function hasExited(service: ServiceProcess): boolean {
  return service.child.exitCode !== null || service.child.signalCode !== null;
}

/** What a proxy's admin /readyz says about the routing config it applies. */
interface ProxyReadiness {
  configVersion?: number;
}

/**
 * Waits until the proxy behind `adminUrl` is ready (GET /readyz answers 200) and applies config
 * version `version` or a later one; returns the version it applies.
 */
export async function proxyAtVersion(adminUrl: string, version: number, timeoutMs = 15_000): Promise<number> {
  return eventually(`${adminUrl} at config version ${version}`, timeoutMs, async () => {
    const { status, body } = await getText(`${adminUrl}/readyz`);
    const applied = (JSON.parse(body) as ProxyReadiness).configVersion ?? 0;
    return status === 200 && applied >= version ? applied : undefined;
  });
}

/** One GET; rejects on a connection error or after {@link ATTEMPT_TIMEOUT_MS}. */
function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false so that no pooled keep-alive socket outlives the check and holds a draining proxy.
    const req = request(url, { agent: false, timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} took over ${ATTEMPT_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

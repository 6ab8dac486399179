import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraylaneError } from '@graylane/contracts';
import { isAlive, type ProcessRecord } from './processes.js';

/** The last `lines` lines of a log file, to show with a failure; empty when there is none. */
export function logTail(path: string, lines = 8): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Waits for `ready()` while watching the process: fails at once, with the end of its log, when
 * the process exits (a port clash or bad config would otherwise look like a slow start), and
 * fails after `timeoutMs` naming the log to read.
 */
export async function waitUntilReady(
  process_: ProcessRecord,
  what: string,
  ready: (timeoutMs: number) => Promise<unknown>,
  timeoutMs: number,
  moreLogs: () => string[] = () => [],
): Promise<void> {
  const tails = (): string => tailsOf([process_.log, ...moreLogs()]);
  const watcher = new AbortController();
  const died = (async (): Promise<never> => {
    while (!watcher.signal.aborted) {
      if (!isAlive(process_)) {
        throw new GraylaneError('GRAYLANE_UNAVAILABLE', `${process_.name} exited while starting${tails()}`);
      }
      await sleep(200, undefined, { signal: watcher.signal }).catch(() => undefined);
    }
    // Never settles once ready; the race below has already been decided.
    return new Promise<never>(() => undefined);
  })();
  try {
    await Promise.race([ready(timeoutMs), died]);
  } catch (error) {
    if (error instanceof GraylaneError) throw error;
    throw new GraylaneError(
      'GRAYLANE_UNAVAILABLE',
      `${process_.name} did not become ready (${what}) within ${Math.round(timeoutMs / 1000)} s: ${(error as Error).message}${tails()}`,
      { cause: error },
    );
  } finally {
    watcher.abort();
  }
}

/** What a readiness probe found. */
export interface ProbeResult {
  ready: boolean;
  /** HTTP status, or the connection error. */
  detail: string;
}

/** One GET of a `/readyz` URL with a short deadline; never throws. */
export async function probe(url: string, timeoutMs = 1500): Promise<ProbeResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return { ready: response.ok, detail: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return { ready: false, detail: cause?.code ?? (error as Error).name };
  }
}

/** The end of each log that has something in it, under its path; "see LOG" when all are empty. */
function tailsOf(logs: string[]): string {
  const parts = logs.map((log) => ({ log, tail: logTail(log) })).filter((part) => part.tail !== '');
  if (parts.length === 0) return `; see ${logs[0] ?? 'its log'}`;
  return parts.map((part) => `\n  ${part.log}:\n${indent(part.tail)}`).join('');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one wrk run measured. */
export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  return n;
}

/** Parses `wrk --latency` output. */
export function parseWrk(output: string): WrkResult {
  const latency = (pct: string): number => {
    const match = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (match === null) throw new Error(`wrk output has no ${pct}% line:\n${output}`);
    return toMs(match[1] ?? '', match[2] ?? 'ms');
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (rps === null) throw new Error(`wrk output has no Requests/sec:\n${output}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const errorCount = (errors === null ? 0 : errors.slice(1).reduce((sum, n) => sum + Number(n), 0)) + (non2xx === null ? 0 : Number(non2xx[1]));
  return { rps: Number(rps[1]), p50Ms: latency('50'), p99Ms: latency('99'), errors: errorCount };
}

/** Runs wrk (pinned with taskset when `cpus` is given) and returns its figures. */
export function runWrk(url: string, options: { connections: number; seconds: number; cpus?: string; script?: string; headers?: string[] }): Promise<WrkResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency'];
  for (const header of options.headers ?? []) args.push('-H', header);
  if (options.script !== undefined) args.push('-s', options.script);
  args.push(url);
  const [command, argv] = options.cpus === undefined ? ['wrk', args] : ['taskset', ['-c', options.cpus, 'wrk', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(parseWrk(out));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/**
 * A wrk Lua script that paces each connection: after every response it waits `delayMs`, so
 * `connections` connections give about `connections * 1000 / delayMs` requests per second, a
 * constant rate (wrk2 is not available here). Latency is then measured below saturation.
 */
export function pacingScript(dir: string, delayMs: number): string {
  const file = join(dir, `pace-${delayMs}.lua`);
  writeFileSync(file, `function delay()\n  return ${delayMs}\nend\n`);
  return file;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForTcp } from '@graylane/testkit';
import { stopChild } from '../stop-child.js';

/** A body of fixed size that the backend nginx serves for every request. */
export const FIXED_BODY = 'x'.repeat(256);

/** An nginx started from a config in a temp dir, one worker, no daemon. */
export interface RunningNginx {
  /** The master's pid; its workers are its children. */
  readonly pid: number;
  stop(): Promise<void>;
}

function common(dir: string): string {
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  return [
    'worker_processes 1;',
    'daemon off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 4096; }',
  ].join('\n');
}

function httpCommon(dir: string): string {
  return [
    'access_log off;',
    `client_body_temp_path ${join(dir, 'body')};`,
    `proxy_temp_path ${join(dir, 'proxy')};`,
    `fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `scgi_temp_path ${join(dir, 'scgi')};`,
    'keepalive_requests 1000000;',
  ].join('\n');
}

/** The backend: answers every path on every port in `ports` with {@link FIXED_BODY}. */
export function backendConfig(dir: string, ports: number[]): string {
  const listens = ports.map((port) => `listen 127.0.0.1:${port};`).join(' ');
  return `${common(dir)}\nhttp {\n${httpCommon(dir)}\ndefault_type text/plain;\nserver { ${listens} location / { return 200 '${FIXED_BODY}'; } }\n}\n`;
}

/** nginx as a reverse proxy to `backendPort`, with an upstream keep-alive pool, as operators run it. */
export function proxyConfig(dir: string, port: number, backendPort: number): string {
  return `${common(dir)}\nhttp {\n${httpCommon(dir)}\nupstream backend { server 127.0.0.1:${backendPort}; keepalive 256; }\nserver { listen 127.0.0.1:${port}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }\n}\n`;
}

/** Starts nginx with `config` (written into `dir`), pinned to `cpus` when given, and waits for `port`. */
export async function startNginx(dir: string, config: string, port: number, cpus?: string): Promise<RunningNginx> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const args = ['-p', dir, '-c', file];
  const child: ChildProcess =
    cpus === undefined ? spawn('/usr/sbin/nginx', args, { stdio: 'ignore' }) : spawn('taskset', ['-c', cpus, '/usr/sbin/nginx', ...args], { stdio: 'ignore' });
  await waitForTcp(port, 10_000);
  return {
    pid: child.pid ?? 0,
    stop: () => stopChild(child),
  };
}

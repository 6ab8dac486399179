import { createServer } from 'node:net';
import { GraylaneError } from '@graylane/contracts';
import type { Env } from '@graylane/runtime';

/** Every port the local stack listens on, with the default each one tries first. */
export const DEFAULT_PORTS = {
  nats: 4222,
  redis: 6379,
  clickhouseHttp: 8123,
  clickhouseTcp: 9000,
  config: 8081,
  analytics: 8082,
  proxy: 8080,
  proxyAdmin: 9901,
  backendV1: 9001,
  backendV2: 9002,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;
export type StackPorts = Record<PortName, number>;

const PORT_NAMES = Object.keys(DEFAULT_PORTS) as PortName[];

/** Environment variable that sets one port: `nats` → `GRAYLANE_UP_NATS_PORT`, `proxyAdmin` → `GRAYLANE_UP_PROXY_ADMIN_PORT`. */
export function portVariable(name: PortName): string {
  return `GRAYLANE_UP_${name.replace(/[A-Z0-9]+/g, (part) => `_${part}`).toUpperCase()}_PORT`;
}

/** Environment variable that moves every port: N gives N, N+1, … in {@link DEFAULT_PORTS} order; 0 lets the OS pick each. */
export const BASE_PORT_VARIABLE = 'GRAYLANE_UP_BASE_PORT';

/**
 * The port each piece asks for: `GRAYLANE_UP_<NAME>_PORT`, else `GRAYLANE_UP_BASE_PORT` + its
 * index, else the default. 0 means "any free port".
 */
export function wantedPorts(env: Env): StackPorts {
  const base = readPort(env, BASE_PORT_VARIABLE);
  const wanted = {} as StackPorts;
  PORT_NAMES.forEach((name, index) => {
    const own = readPort(env, portVariable(name));
    wanted[name] = own ?? (base === undefined ? DEFAULT_PORTS[name] : base === 0 ? 0 : base + index);
  });
  return wanted;
}

function readPort(env: Env, variable: string): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535 - PORT_NAMES.length) {
    throw new GraylaneError('GRAYLANE_VALIDATION', `${variable}: expected a port number 0-${65535 - PORT_NAMES.length}, got "${raw}"`);
  }
  return port;
}

/** A port that had to move because the wanted one was taken. */
export interface PortMove {
  name: PortName;
  wanted: number;
  chosen: number;
}

/**
 * The ports to use: each wanted one when it is free (and not already given to another piece),
 * otherwise one from `freePort`. Moves are reported so the user is told; a wanted 0 is no move.
 */
export async function choosePorts(
  wanted: StackPorts,
  isFree: (port: number) => Promise<boolean>,
  freePort: () => Promise<number>,
): Promise<{ ports: StackPorts; moved: PortMove[] }> {
  const taken = new Set<number>();
  const ports = {} as StackPorts;
  const moved: PortMove[] = [];
  for (const name of PORT_NAMES) {
    const want = wanted[name];
    let chosen = want !== 0 && !taken.has(want) && (await isFree(want)) ? want : 0;
    for (let attempt = 0; chosen === 0 || taken.has(chosen); attempt += 1) {
      if (attempt >= 20) throw new GraylaneError('GRAYLANE_UNAVAILABLE', `no free port found for ${name}`);
      chosen = await freePort();
    }
    taken.add(chosen);
    ports[name] = chosen;
    if (want !== 0 && chosen !== want) moved.push({ name, wanted: want, chosen });
  }
  return { ports, moved };
}

/** Whether nothing listens on `port` (on any address). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { choosePorts, DEFAULT_PORTS, isPortFree, portVariable, wantedPorts, type StackPorts } from './ports.js';

describe('wantedPorts', () => {
  it('asks for the usual ports by default', () => {
    expect(wantedPorts({})).toEqual(DEFAULT_PORTS);
    expect(wantedPorts({}).nats).toBe(4222);
    expect(wantedPorts({}).clickhouseHttp).toBe(8123);
  });

  it('moves every port with GRAYLANE_UP_BASE_PORT, one after another', () => {
    const ports = wantedPorts({ GRAYLANE_UP_BASE_PORT: '20000' });
    expect(Object.values(ports)).toEqual(Object.values(DEFAULT_PORTS).map((_, i) => 20000 + i));
  });

  it('lets the OS pick every port with GRAYLANE_UP_BASE_PORT=0', () => {
    expect(new Set(Object.values(wantedPorts({ GRAYLANE_UP_BASE_PORT: '0' })))).toEqual(new Set([0]));
  });

  it('takes one port from its own variable, over the base', () => {
    const ports = wantedPorts({ GRAYLANE_UP_BASE_PORT: '0', GRAYLANE_UP_PROXY_ADMIN_PORT: '19901' });
    expect(ports.proxyAdmin).toBe(19901);
    expect(ports.proxy).toBe(0);
  });

  it('names the variable and the bad value', () => {
    expect(() => wantedPorts({ GRAYLANE_UP_NATS_PORT: 'abc' })).toThrow(/GRAYLANE_UP_NATS_PORT.*"abc"/);
    expect(() => wantedPorts({ GRAYLANE_UP_BASE_PORT: '70000' })).toThrow(/GRAYLANE_UP_BASE_PORT/);
  });

  it('derives variable names from the piece names', () => {
    expect(portVariable('nats')).toBe('GRAYLANE_UP_NATS_PORT');
    expect(portVariable('clickhouseHttp')).toBe('GRAYLANE_UP_CLICKHOUSE_HTTP_PORT');
    expect(portVariable('backendV1')).toBe('GRAYLANE_UP_BACKEND_V1_PORT');
  });
});

describe('choosePorts', () => {
  const sequence = (start: number): (() => Promise<number>) => {
    let next = start;
    return async () => next++;
  };

  it('keeps every wanted port that is free, and moves nothing', async () => {
    const { ports, moved } = await choosePorts(DEFAULT_PORTS, async () => true, sequence(40000));
    expect(ports).toEqual(DEFAULT_PORTS);
    expect(moved).toEqual([]);
  });

  it('moves a busy port to a free one and says so', async () => {
    const busy = new Set([4222, 8080]);
    const { ports, moved } = await choosePorts(DEFAULT_PORTS, async (port) => !busy.has(port), sequence(40000));
    expect(ports.nats).toBe(40000);
    expect(ports.proxy).toBe(40001);
    expect(ports.redis).toBe(6379);
    expect(moved).toEqual([
      { name: 'nats', wanted: 4222, chosen: 40000 },
      { name: 'proxy', wanted: 8080, chosen: 40001 },
    ]);
  });

  it('never gives one port to two pieces, even when asked twice or handed a repeat', async () => {
    const wanted: StackPorts = { ...DEFAULT_PORTS, redis: 4222, config: 0, analytics: 0 };
    const repeats = [4222, 4222, 50000, 50000, 50001];
    const { ports, moved } = await choosePorts(wanted, async () => true, async () => repeats.shift() ?? 60000);
    expect(new Set(Object.values(ports)).size).toBe(Object.keys(ports).length);
    expect(moved).toEqual([{ name: 'redis', wanted: 4222, chosen: 50000 }]);
    expect(ports.config).toBe(50001);
  });
});

describe('isPortFree', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve()))));

  it('is false while something listens and true once it has stopped', async () => {
    const listening = createServer();
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const address = listening.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    expect(await isPortFree(address.port)).toBe(false);
    await new Promise<void>((resolve) => listening.close(() => resolve()));
    server = undefined;
    expect(await isPortFree(address.port)).toBe(true);
  });
});

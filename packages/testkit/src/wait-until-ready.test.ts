import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startService, type ServiceProcess } from './service-process.js';
import { eventually, proxyAtVersion, untilOk } from './wait-until-ready.js';

const servers: Server[] = [];
const services: ServiceProcess[] = [];
const FIXTURE = 'packages/testkit/src/service-process.fixture.mjs';

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(services.splice(0).map((service) => service.stop()));
});

/** A stand-in for a proxy's admin port: /readyz answers `status` with `configVersion`, both changeable. */
async function admin(state: { status: number; configVersion: number }): Promise<string> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/readyz' ? state.status : 404;
    res.end(JSON.stringify({ ready: state.status === 200, configVersion: state.configVersion }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return `http://127.0.0.1:${address.port}`;
}

describe('eventually', () => {
  it('returns the first value that is not undefined', async () => {
    let calls = 0;
    expect(await eventually('the third call', 5_000, async () => (++calls === 3 ? 'done' : undefined))).toBe('done');
    expect(calls).toBe(3);
  });

  it('names what it waited for, and the last error, when time runs out', async () => {
    await expect(
      eventually('a thing that never comes', 300, async () => {
        throw new Error('still broken');
      }),
    ).rejects.toThrow('timed out after 300 ms waiting for a thing that never comes: still broken');
  });
});

describe('untilOk', () => {
  it('waits for a 200 and names the wait when none comes', async () => {
    const state = { status: 503, configVersion: 0 };
    const url = `${await admin(state)}/readyz`;
    setTimeout(() => (state.status = 200), 300);
    await untilOk('readyz', url, 5_000);
    state.status = 503;
    await expect(untilOk('readyz again', url, 300)).rejects.toThrow('waiting for readyz again');
  });

  it('fails as soon as a watched service exits, with its exit code and output', async () => {
    const url = `${await admin({ status: 503, configVersion: 0 })}/readyz`;
    const service = startService('fixture', FIXTURE, { FIXTURE_EXIT: '3' });
    services.push(service);
    // A timeout would say "timed out after 60000 ms", and only after a minute.
    await expect(untilOk('fixture ready', url, 60_000, [service])).rejects.toThrow(/^fixture exited \(code 3\) while waiting for fixture ready\n--- fixture\nword=/);
  });

  it('adds the output of the watched services when time runs out', async () => {
    const url = `${await admin({ status: 503, configVersion: 0 })}/readyz`;
    const service = startService('fixture', FIXTURE, {});
    services.push(service);
    await eventually('the fixture output', 10_000, async () => (service.output().includes('a line on stderr') ? true : undefined));
    await expect(untilOk('fixture ready', url, 300, [service])).rejects.toThrow(/^timed out after 300 ms waiting for fixture ready[^\n]*\n--- fixture\nword=/);
  });
});

describe('proxyAtVersion', () => {
  it('waits until the proxy is ready at the version or a later one, and returns it', async () => {
    const state = { status: 503, configVersion: 0 };
    const url = await admin(state);
    setTimeout(() => Object.assign(state, { status: 200, configVersion: 4 }), 300);
    expect(await proxyAtVersion(url, 3, 5_000)).toBe(4);
  });

  it('does not take a draining proxy (503) for one at the version', async () => {
    const url = await admin({ status: 503, configVersion: 7 });
    await expect(proxyAtVersion(url, 7, 500)).rejects.toThrow(`${url} at config version 7`);
  });
});

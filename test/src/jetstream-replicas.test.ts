// GRAYLANE_JETSTREAM_REPLICAS on a real 3-node NATS cluster: the config service and a proxy,
// started with 3, create the events stream, the config bucket and the metrics stream with 3
// replicas, and the proxy then serves its config from the replicated bucket. The config service
// starts while the cluster has no JetStream leader (two of three servers down) and waits for one.
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_BUCKET, EVENTS_STREAM, METRICS_STREAM } from '@graylane/contracts';
import { connectNats, createLogger, type NatsConnection } from '@graylane/runtime';
import { eventually, freePort, serviceLogs, startNatsCluster, startService, untilOk, type RunningServer, type ServiceProcess } from '@graylane/testkit';

let cluster: RunningServer[];
let nc: NatsConnection;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  nc = await connectNats(cluster[0]?.url as string, createLogger('jetstream-replicas', 'warn'), { name: 'jetstream-replicas', waitForServer: false });
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  await nc?.close();
  await Promise.all((cluster ?? []).map((server) => server.stop()));
});

/** Replicas of `stream` and how many of them are current, once it exists. */
async function replicasOf(stream: string): Promise<{ replicas: number; current: number }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  return { replicas: info.config.num_replicas, current: 1 + (info.cluster?.replicas ?? []).filter((replica) => replica.current).length };
}

describe('GRAYLANE_JETSTREAM_REPLICAS=3 on a 3-node NATS cluster', () => {
  it('waits for a JetStream leader, then creates the events stream, the config bucket and the metrics stream with 3 replicas', async () => {
    const configPort = await freePort();
    // Without a majority the cluster elects no JetStream leader: every JetStream request times out
    // or is answered "temporarily unavailable", as on a fresh cluster still electing one.
    const [, second, third] = cluster;
    await Promise.all([second?.kill(), third?.kill()]);
    const config = startService('config', 'services/config/dist/main.js', { GRAYLANE_NATS_URL: cluster[0]?.url as string, PORT: String(configPort), GRAYLANE_JETSTREAM_REPLICAS: '3' });
    services.push(config);
    await eventually('the config service says it waits for JetStream', 30_000, async () =>
      config.output().includes('JetStream does not answer yet') ? true : undefined,
    );
    expect(config.child.exitCode, serviceLogs(services)).toBeNull();
    await Promise.all([second?.start(), third?.start()]);
    await untilOk('config ready', `http://127.0.0.1:${configPort}/readyz`, 60_000, services);
    const [port, adminPort] = await Promise.all([freePort(), freePort()]);
    services.push(
      startService('proxy', 'services/proxy/dist/main.js', {
        // Another node than the config service's, to show the bucket is there too.
        GRAYLANE_NATS_URL: cluster[2]?.url as string,
        GRAYLANE_JETSTREAM_REPLICAS: '3',
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
      }),
    );
    await eventually('the proxy answers on its admin port', 60_000, async () => ((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).ok ? true : undefined));

    for (const stream of [EVENTS_STREAM, `KV_${CONFIG_BUCKET}`, METRICS_STREAM]) {
      const seen = await eventually(`${stream} replicated on 3 servers`, 20_000, async () => {
        const replicas = await replicasOf(stream);
        return replicas.current === 3 ? replicas : undefined;
      });
      expect(seen, stream).toEqual({ replicas: 3, current: 3 });
    }
  });
});

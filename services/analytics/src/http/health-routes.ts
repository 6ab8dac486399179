import type { FastifyInstance } from 'fastify';

/** One dependency the service needs to do its work. */
export interface ReadinessCheck {
  name: string;
  /** Resolves true when the dependency works; false or a throw means not ready. */
  check: () => Promise<boolean>;
}

/** Something that renders Prometheus text. */
export interface MetricsSource {
  render(): string | Promise<string>;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /healthz`: the process answers. `GET /readyz`: 200 when every check passes within
 * {@link CHECK_TIMEOUT_MS}, else 503; the body names each check. `GET /metrics`: Prometheus text.
 */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[], metrics: MetricsSource): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(checks.map(async ({ name, check }) => [name, await passes(check)] as const));
    const ready = results.every(([, ok]) => ok);
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.render()));
}

async function passes(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

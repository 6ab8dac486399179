import { GraylaneError } from '@graylane/contracts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { loadDashboardAssets, type Asset } from './dashboard-assets.js';

/** The body of `GET /api/v1/rollouts`. */
export interface RolloutListBody {
  rollouts: string[];
}

// Every script is a file of this origin, so no inline script may run: a rollout name that slipped
// past textContent could still not execute, and a token in sessionStorage stays out of reach.
// uPlot sets element styles, hence 'unsafe-inline' for styles only.
const PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * `GET /`: the rollouts overview; `GET /rollout?rollout=<name>`: one rollout's page;
 * `GET /assets/<file>`: their scripts, styles and uPlot; `GET /api/v1/rollouts`: the rollout names.
 */
export function registerDashboardRoutes(app: FastifyInstance, rolloutNames: () => readonly string[]): void {
  const assets = loadDashboardAssets();
  const send = (reply: FastifyReply, asset: Asset | undefined) => {
    if (asset === undefined) throw new GraylaneError('GRAYLANE_NOT_FOUND', 'no such dashboard file');
    return reply.type(asset.type).header('content-security-policy', PAGE_POLICY).header('x-content-type-options', 'nosniff').send(asset.body);
  };
  app.get('/', async (_request, reply) => send(reply, assets.get('overview.html')));
  app.get('/rollout', async (_request, reply) => send(reply, assets.get('rollout.html')));
  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => send(reply, assets.get(request.params.file)));
  app.get('/api/v1/rollouts', async (): Promise<RolloutListBody> => ({ rollouts: [...rolloutNames()].sort() }));
}

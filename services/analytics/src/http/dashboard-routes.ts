import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HTML } from './dashboard-page.js';

/** The body of `GET /api/v1/rollouts`. */
export interface RolloutListBody {
  rollouts: string[];
}

/** `GET /`: the dashboard page; `GET /api/v1/rollouts`: the rollout names it offers. */
export function registerDashboardRoutes(app: FastifyInstance, rolloutNames: () => readonly string[]): void {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
  app.get('/api/v1/rollouts', async (): Promise<RolloutListBody> => ({ rollouts: [...rolloutNames()].sort() }));
}

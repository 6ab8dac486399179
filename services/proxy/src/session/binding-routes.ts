import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraylaneError } from '@graylane/contracts';
import type { CompiledRollout } from '@graylane/routing';
import { checkBearer, httpStatusOf, type HttpAuth } from '@graylane/runtime';
import type { TableHolder } from '../routing/table-holder.js';
import type { AnnounceBindingChange } from './binding-broadcast.js';
import type { BindingStore } from './binding-store.js';

export interface BindingRoutesDeps {
  holder: TableHolder;
  bindings: BindingStore;
  /** per-reason decision counters, served beside the store's counters */
  decisions: () => Readonly<Record<string, number>>;
  /** who may PUT and DELETE: `GRAYLANE_ADMIN_TOKEN`, closed when none is set unless `GRAYLANE_ADMIN_AUTH=off` */
  auth: HttpAuth;
  /** tells the other proxies, so their caches drop or replace the entry at once; without it they catch up within their cache TTL */
  announce?: AnnounceBindingChange | undefined;
}

interface SessionParams {
  rollout: string;
  session: string;
}

/**
 * The admin API over session bindings, on the admin port:
 * - `GET /_graylane/sessions`: counters (cache hits, Redis lookups, deadline misses, errors, decisions by reason)
 * - `GET /_graylane/sessions/:rollout/:session`: the binding in Redis
 * - `PUT /_graylane/sessions/:rollout/:session` with `{"side":"stable"|"canary"}`: move a session
 * - `DELETE /_graylane/sessions/:rollout/:session`: clear one binding; `DELETE /_graylane/sessions/:rollout`: all of a rollout
 *
 * Redis changes at once, and this proxy's cache; with `announce` (NATS), every other proxy's cache
 * at once too; without it they see the change within their cache TTL.
 */
export function registerBindingRoutes(admin: FastifyInstance, deps: BindingRoutesDeps): void {
  const rolloutOf = (name: string): CompiledRollout => {
    const rollout = deps.holder.current.rollouts.find((candidate) => candidate.name === name);
    if (rollout === undefined) throw new GraylaneError('GRAYLANE_NOT_FOUND', `rollout "${name}" is not in config version ${deps.holder.current.version}`);
    if (rollout.session === undefined) {
      throw new GraylaneError('GRAYLANE_VALIDATION', `rollout "${name}" has no spec.session, so it binds no sessions`, { field: '/spec/session' });
    }
    return rollout;
  };
  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    const known =
      error instanceof GraylaneError
        ? error
        : new GraylaneError('GRAYLANE_UNAVAILABLE', `Redis: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    return reply.code(httpStatusOf(known.code)).send(known.toBody());
  };

  // A hook on each write route, not one on the whole app matching request.url: the router decodes
  // the path (`/_graylane/%73essions`, `/%5Fgraylane/…` reach these routes), so only the route
  // itself knows reliably that it was reached.
  const writeGuard = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const outcome = checkBearer(deps.auth, request.headers.authorization, 'moving or clearing session bindings');
    if (outcome instanceof GraylaneError) return fail(reply, outcome);
    return undefined;
  };

  admin.get('/_graylane/sessions', () => ({ ...deps.bindings.stats, cached: deps.bindings.cached, decisions: deps.decisions() }));

  admin.get<{ Params: SessionParams }>('/_graylane/sessions/:rollout/:session', async (request, reply) => {
    try {
      rolloutOf(request.params.rollout);
      const binding = await deps.bindings.read(request.params.rollout, request.params.session);
      return { rollout: request.params.rollout, session: request.params.session, binding: binding ?? null };
    } catch (error) {
      return fail(reply, error);
    }
  });

  admin.put<{ Params: SessionParams; Body: { side?: unknown } }>('/_graylane/sessions/:rollout/:session', { onRequest: writeGuard }, async (request, reply) => {
    try {
      const rollout = rolloutOf(request.params.rollout);
      const side = request.body?.side;
      if (side !== 'stable' && side !== 'canary') {
        throw new GraylaneError('GRAYLANE_VALIDATION', `side ${JSON.stringify(side) ?? 'undefined'}: expected "stable" or "canary"`, { field: '/side' });
      }
      const binding = rollout.bindingValue(side);
      const ttlMs = rollout.session?.ttlMs ?? 0;
      await deps.bindings.move(rollout.name, request.params.session, binding, ttlMs);
      deps.announce?.({ rollout: rollout.name, session: request.params.session, binding, ttlMs });
      return { rollout: rollout.name, session: request.params.session, binding };
    } catch (error) {
      return fail(reply, error);
    }
  });

  admin.delete<{ Params: SessionParams }>('/_graylane/sessions/:rollout/:session', { onRequest: writeGuard }, async (request, reply) => {
    try {
      rolloutOf(request.params.rollout);
      const existed = await deps.bindings.clear(request.params.rollout, request.params.session);
      deps.announce?.({ rollout: request.params.rollout, session: request.params.session, binding: null, ttlMs: 0 });
      return { rollout: request.params.rollout, session: request.params.session, cleared: existed ? 1 : 0 };
    } catch (error) {
      return fail(reply, error);
    }
  });

  admin.delete<{ Params: { rollout: string } }>('/_graylane/sessions/:rollout', { onRequest: writeGuard }, async (request, reply) => {
    try {
      rolloutOf(request.params.rollout);
      const cleared = await deps.bindings.clearRollout(request.params.rollout);
      deps.announce?.({ rollout: request.params.rollout, binding: null, ttlMs: 0 });
      return { rollout: request.params.rollout, cleared };
    } catch (error) {
      return fail(reply, error);
    }
  });
}

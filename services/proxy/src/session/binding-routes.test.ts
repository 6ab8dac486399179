import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { httpAuthFrom, type HttpAuth } from '@graylane/runtime';
import type { TableHolder } from '../routing/table-holder.js';
import type { BindingStore } from './binding-store.js';
import { registerBindingRoutes } from './binding-routes.js';

const TOKEN = 'admin-token-0123456789abcdef';

function adminWith(auth: HttpAuth) {
  const admin = Fastify();
  // No rollout in the table: a request that gets past the token check answers 404.
  const holder = { current: { version: 0, rollouts: [] } } as unknown as TableHolder;
  registerBindingRoutes(admin, { holder, bindings: { stats: {}, cached: 0 } as unknown as BindingStore, decisions: () => ({}), auth });
  return admin;
}

const withToken = adminWith(httpAuthFrom({ GRAYLANE_ADMIN_TOKEN: TOKEN }, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH'));

// Paths the router decodes to the session routes: each must meet the token check.
const WRITES: { method: 'PUT' | 'DELETE'; url: string }[] = [
  { method: 'DELETE', url: '/_graylane/sessions/checkout' },
  { method: 'PUT', url: '/_graylane/sessions/checkout/u1' },
  { method: 'DELETE', url: '/_graylane/sessions/checkout/u1' },
  { method: 'PUT', url: '/_graylane/%73essions/checkout/u1' },
  { method: 'DELETE', url: '/%5Fgraylane/sessions/checkout' },
  { method: 'DELETE', url: '/%5fgraylane/%73ession%73/checkout/u1' },
];

describe('binding routes', () => {
  it.each(WRITES)('refuse $method $url without the admin token, however the path is spelled', async ({ method, url }) => {
    const denied = await withToken.inject({ method, url, payload: { side: 'canary' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.json<{ code: string }>().code).toBe('GRAYLANE_UNAUTHORIZED');
    const wrong = await withToken.inject({ method, url, payload: { side: 'canary' }, headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    const allowed = await withToken.inject({ method, url, payload: { side: 'canary' }, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.statusCode).toBe(404);
  });

  it('are closed when no token is configured, and say which variable opens them', async () => {
    const closed = adminWith(httpAuthFrom({}, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH'));
    const denied = await closed.inject({ method: 'DELETE', url: '/_graylane/sessions/checkout' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json<{ code: string; message: string }>()).toMatchObject({ code: 'GRAYLANE_WRITES_CLOSED', message: expect.stringMatching(/GRAYLANE_ADMIN_TOKEN/) as unknown });
  });

  it('are open only when the operator turned the check off', async () => {
    const open = await adminWith(httpAuthFrom({ GRAYLANE_ADMIN_AUTH: 'off' }, 'GRAYLANE_ADMIN_TOKEN', 'GRAYLANE_ADMIN_AUTH')).inject({
      method: 'DELETE',
      url: '/_graylane/sessions/checkout',
    });
    expect(open.statusCode).toBe(404);
  });

  it('leave reads open', async () => {
    const read = await withToken.inject({ method: 'GET', url: '/_graylane/sessions' });
    expect(read.statusCode).toBe(200);
  });
});

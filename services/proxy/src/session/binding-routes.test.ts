import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { TableHolder } from '../routing/table-holder.js';
import type { BindingStore } from './binding-store.js';
import { registerBindingRoutes } from './binding-routes.js';

function adminWith(adminToken: string | undefined) {
  const admin = Fastify();
  const holder = { current: { version: 0, rollouts: [] } } as unknown as TableHolder;
  registerBindingRoutes(admin, { holder, bindings: {} as BindingStore, decisions: () => ({}), adminToken });
  return admin;
}

describe('binding routes', () => {
  it('refuse to move or clear bindings without the admin token when one is set', async () => {
    const admin = adminWith('s3cret');
    const denied = await admin.inject({ method: 'DELETE', url: '/_graylane/sessions/checkout' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json<{ code: string }>().code).toBe('GRAYLANE_UNAUTHORIZED');
    const allowed = await admin.inject({ method: 'DELETE', url: '/_graylane/sessions/checkout', headers: { authorization: 'Bearer s3cret' } });
    expect(allowed.statusCode).toBe(404);
  });

  it('stay open when no token is configured', async () => {
    const open = await adminWith(undefined).inject({ method: 'DELETE', url: '/_graylane/sessions/checkout' });
    expect(open.statusCode).toBe(404);
  });
});

import { Type, type Static } from '@sinclair/typebox';

/**
 * NATS core subject on which a proxy announces a session binding it moved or cleared through its
 * admin API, so every other proxy updates its local cache at once instead of within the cache TTL.
 * Core NATS, not JetStream: a proxy that misses an announcement (restarting, disconnected) starts
 * with an empty cache or catches up within its cache TTL, so nothing needs to be replayed.
 */
export const SESSION_BINDING_SUBJECT = 'graylane.sessions.v1.binding';

/**
 * A binding changed in Redis through the admin API. Without `session`, every binding of the
 * rollout was cleared. `binding` is the new value (`<side>:<version>`) or null when cleared.
 */
export const SessionBindingChangedV1 = Type.Object({
  schema: Type.Literal('graylane.session-binding-changed/v1'),
  rollout: Type.String({ minLength: 1 }),
  session: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'absent: every session of the rollout' })),
  binding: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: '`<side>:<version>`, or null when cleared' }),
  /** how long the binding lives in Redis from `at`; a cache keeps it no longer */
  ttlMs: Type.Integer({ minimum: 0 }),
  /** the proxy that made the change; it skips its own announcement */
  proxyId: Type.String(),
  at: Type.String({ description: 'ISO 8601' }),
});
export type SessionBindingChangedV1 = Static<typeof SessionBindingChangedV1>;

import { parseWith, SESSION_BINDING_SUBJECT, SessionBindingChangedV1 } from '@graylane/contracts';
import { decodeJson, encodeJson, type Logger, type NatsConnection } from '@graylane/runtime';
import type { BindingStore } from './binding-store.js';

/** A binding moved (`binding` set) or cleared (null) through the admin API; no `session`: the whole rollout. */
export interface BindingChange {
  rollout: string;
  session?: string | undefined;
  binding: string | null;
  ttlMs: number;
}

/** Tells the other proxies about a binding change; never throws, never waits. */
export type AnnounceBindingChange = (change: BindingChange) => void;

/**
 * Announces this proxy's admin-API binding changes on {@link SESSION_BINDING_SUBJECT}. Redis
 * already holds the change when this is called; the announcement only saves the other proxies
 * from serving their stale cached copy until its TTL ends, so a failed publish is logged, not
 * retried.
 */
export function bindingAnnouncer(nc: NatsConnection, proxyId: string, logger: Logger): AnnounceBindingChange {
  return (change) => {
    const message: SessionBindingChangedV1 = {
      schema: 'graylane.session-binding-changed/v1',
      rollout: change.rollout,
      ...(change.session === undefined ? {} : { session: change.session }),
      binding: change.binding,
      ttlMs: change.ttlMs,
      proxyId,
      at: new Date().toISOString(),
    };
    try {
      nc.publish(SESSION_BINDING_SUBJECT, encodeJson(message));
    } catch (error) {
      logger.warn({ err: error, rollout: change.rollout }, 'could not announce a binding change; other proxies catch up within their cache TTL');
    }
  };
}

/**
 * Applies the binding changes other proxies announce to this proxy's local cache, so a moved or
 * cleared session takes effect on every proxy at once. Its own announcements are skipped (its
 * cache already holds the change); malformed messages are counted and dropped. Returns a stopper.
 */
export function applyAnnouncedBindings(nc: NatsConnection, bindings: BindingStore, proxyId: string, logger: Logger): () => void {
  const subscription = nc.subscribe(SESSION_BINDING_SUBJECT, {
    callback: (error, msg) => {
      if (error !== null) return;
      let change: SessionBindingChangedV1;
      try {
        change = parseWith(SessionBindingChangedV1, decodeJson(msg.data), 'session binding change');
      } catch (invalid) {
        bindings.stats.invalidAnnouncements++;
        logger.warn({ err: invalid }, 'ignored a malformed session binding change');
        return;
      }
      if (change.proxyId === proxyId) return;
      bindings.applyAnnounced(change.rollout, change.session, change.binding, change.ttlMs);
    },
  });
  return () => subscription.unsubscribe();
}

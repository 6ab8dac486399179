import type { DecisionReason } from '@graylane/routing';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BindingStats } from './binding-store.js';

/** What {@link registerSessionMetrics} reports; every part but the decisions is absent without Redis. */
export interface SessionMetricsSource {
  decisions: Readonly<Record<DecisionReason, number>>;
  bindings?: { readonly stats: Readonly<BindingStats>; readonly cached: number } | undefined;
}

/** The session store's counters: name, help, and which field of {@link BindingStats} holds the value. */
const SESSION_COUNTERS: readonly [string, string, keyof BindingStats][] = [
  ['graylane_proxy_session_cache_hits_total', 'Session binding and user-set lookups answered by the local cache.', 'cacheHits'],
  ['graylane_proxy_session_cache_misses_total', 'Lookups the local cache could not answer, sent to Redis.', 'redisLookups'],
  [
    'graylane_proxy_session_redis_deadline_misses_total',
    'Redis lookups that did not answer within the deadline; the request was decided without the binding.',
    'deadlineMisses',
  ],
  ['graylane_proxy_session_redis_errors_total', 'Redis lookups or writes that failed (Redis down or refusing).', 'redisErrors'],
  ['graylane_proxy_session_bindings_written_total', 'Session bindings written to Redis.', 'writes'],
  ['graylane_proxy_session_oversized_ids_total', 'Session ids or user keys too long to be real, ignored.', 'oversizedIds'],
  [
    'graylane_proxy_session_announcements_applied_total',
    'Moved or cleared bindings announced by other proxies over NATS and applied to the local cache.',
    'announcementsApplied',
  ],
  ['graylane_proxy_session_invalid_announcements_total', 'Binding announcements that did not match their schema, dropped.', 'invalidAnnouncements'],
];

/**
 * Registers the routing decisions by reason and, with Redis, the session store's counters on the
 * admin port's registry; values are read from `source` at scrape time. Names end in `_total` for
 * counters, as Prometheus expects.
 */
export function registerSessionMetrics(registry: Registry, source: SessionMetricsSource): void {
  new Counter({
    name: 'graylane_proxy_decisions_total',
    help: 'Routing decisions by reason (no-key: routed by client IP for lack of a sticky key).',
    labelNames: ['reason'],
    registers: [registry],
    collect: function collect() {
      this.reset();
      for (const [reason, count] of Object.entries(source.decisions)) this.inc({ reason }, count);
    },
  });
  const bindings = source.bindings;
  if (bindings === undefined) return;
  for (const [name, help, field] of SESSION_COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect: function collect() {
        this.reset();
        this.inc(bindings.stats[field]);
      },
    });
  }
  new Gauge({
    name: 'graylane_proxy_session_cache_entries',
    help: 'Entries in the local session and user-set caches (bounded).',
    registers: [registry],
    collect: function collect() {
      this.set(bindings.cached);
    },
  });
}

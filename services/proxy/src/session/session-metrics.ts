import type { DecisionReason } from '@graylane/routing';
import type { BindingStats } from './binding-store.js';

/** What {@link sessionMetricLines} reports; every part but the decisions is absent without Redis. */
export interface SessionMetricsSource {
  decisions: Readonly<Record<DecisionReason, number>>;
  bindings?: { readonly stats: Readonly<BindingStats>; readonly cached: number } | undefined;
}

/**
 * The routing decisions by reason and the session store's counters in the Prometheus text format,
 * as lines for the admin port's /metrics. Names end in `_total` for counters, as Prometheus expects.
 */
export function sessionMetricLines(source: SessionMetricsSource): string[] {
  const lines = [
    '# HELP graylane_proxy_decisions_total Routing decisions by reason (no-key: routed by client IP for lack of a sticky key).',
    '# TYPE graylane_proxy_decisions_total counter',
  ];
  for (const [reason, count] of Object.entries(source.decisions)) lines.push(`graylane_proxy_decisions_total{reason="${reason}"} ${count}`);
  const bindings = source.bindings;
  if (bindings === undefined) return lines;
  const { stats } = bindings;
  const counter = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
  };
  counter('graylane_proxy_session_cache_hits_total', 'Session binding and user-set lookups answered by the local cache.', stats.cacheHits);
  counter('graylane_proxy_session_cache_misses_total', 'Lookups the local cache could not answer, sent to Redis.', stats.redisLookups);
  counter(
    'graylane_proxy_session_redis_deadline_misses_total',
    'Redis lookups that did not answer within the deadline; the request was decided without the binding.',
    stats.deadlineMisses,
  );
  counter('graylane_proxy_session_redis_errors_total', 'Redis lookups or writes that failed (Redis down or refusing).', stats.redisErrors);
  counter('graylane_proxy_session_bindings_written_total', 'Session bindings written to Redis.', stats.writes);
  counter('graylane_proxy_session_oversized_ids_total', 'Session ids or user keys too long to be real, ignored.', stats.oversizedIds);
  counter(
    'graylane_proxy_session_announcements_applied_total',
    'Moved or cleared bindings announced by other proxies over NATS and applied to the local cache.',
    stats.announcementsApplied,
  );
  counter('graylane_proxy_session_invalid_announcements_total', 'Binding announcements that did not match their schema, dropped.', stats.invalidAnnouncements);
  lines.push(
    '# HELP graylane_proxy_session_cache_entries Entries in the local session and user-set caches (bounded).',
    '# TYPE graylane_proxy_session_cache_entries gauge',
    `graylane_proxy_session_cache_entries ${bindings.cached}`,
  );
  return lines;
}

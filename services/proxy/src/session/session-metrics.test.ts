import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerSessionMetrics, type SessionMetricsSource } from './session-metrics.js';

const decisions = { state: 0, override: 0, rule: 2, 'user-list': 0, session: 5, weight: 7, 'no-key': 1, 'region-fallback': 0 };
const stats = { cacheHits: 11, redisLookups: 3, deadlineMisses: 1, redisErrors: 2, writes: 4, oversizedIds: 0, announcementsApplied: 6, invalidAnnouncements: 8 };

async function exposition(source: SessionMetricsSource): Promise<string> {
  const registry = new Registry();
  registerSessionMetrics(registry, source);
  return registry.metrics();
}

describe('registerSessionMetrics', () => {
  it('exposes the decisions by reason and every session counter in the Prometheus text format', async () => {
    const text = await exposition({ decisions, bindings: { stats, cached: 9 } });
    expect(text).toContain('graylane_proxy_decisions_total{reason="session"} 5');
    expect(text).toContain('graylane_proxy_decisions_total{reason="no-key"} 1');
    expect(text).toContain('# TYPE graylane_proxy_session_cache_hits_total counter\ngraylane_proxy_session_cache_hits_total 11');
    expect(text).toContain('graylane_proxy_session_cache_misses_total 3');
    expect(text).toContain('graylane_proxy_session_redis_deadline_misses_total 1');
    expect(text).toContain('graylane_proxy_session_redis_errors_total 2');
    expect(text).toContain('graylane_proxy_session_bindings_written_total 4');
    expect(text).toContain('graylane_proxy_session_announcements_applied_total 6');
    expect(text).toContain('graylane_proxy_session_invalid_announcements_total 8');
    expect(text).toContain('graylane_proxy_session_oversized_ids_total 0');
    expect(text).toContain('# TYPE graylane_proxy_session_cache_entries gauge\ngraylane_proxy_session_cache_entries 9');
  });

  it('reads the counters when scraped, not when registered', async () => {
    const live = { ...stats };
    const registry = new Registry();
    registerSessionMetrics(registry, { decisions, bindings: { stats: live, cached: 0 } });
    live.writes = 40;
    expect(await registry.metrics()).toContain('graylane_proxy_session_bindings_written_total 40');
  });

  it('has only the decisions without Redis', async () => {
    const text = await exposition({ decisions });
    expect(text).toContain('graylane_proxy_decisions_total{reason="weight"} 7');
    expect(text).not.toContain('graylane_proxy_session_');
  });
});

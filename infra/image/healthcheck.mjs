// The image's HEALTHCHECK: GET /healthz on this container's own listener. The proxy serves it
// on ADMIN_PORT, config and analytics on PORT; GRAYLANE_HEALTHCHECK_URL overrides both (e.g.
// for the demo backend). Liveness, not readiness: a proxy without a config yet is alive.
const port = process.env.ADMIN_PORT || process.env.PORT || '9901';
const url = process.env.GRAYLANE_HEALTHCHECK_URL || `http://127.0.0.1:${port}/healthz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}

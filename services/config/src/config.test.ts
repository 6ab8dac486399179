import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('listens on loopback, closes the command API and refuses link-local upstreams by default', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.apiAuth).toMatchObject({ tokens: [], open: false });
    expect(config.allowLinkLocalUpstreams).toBe(false);
  });

  it('takes what the operator sets, and names the variable of a bad value', () => {
    const config = loadConfig({
      GRAYLANE_HTTP_HOST: '0.0.0.0',
      GRAYLANE_CONFIG_TOKEN: 'config-token-0123456789abcdef',
      GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS: 'true',
    });
    expect(config).toMatchObject({ host: '0.0.0.0', allowLinkLocalUpstreams: true, apiAuth: { tokens: [{ name: 'api-token' }] } });
    expect(loadConfig({ GRAYLANE_CONFIG_AUTH: 'off' }).apiAuth.open).toBe(true);
    expect(() => loadConfig({ GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS: 'yes' })).toThrow(/^GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS: expected "true" or "false"/);
    expect(() => loadConfig({ GRAYLANE_CONFIG_TOKEN: 'e2e-secret' })).toThrow(/^GRAYLANE_CONFIG_TOKEN: expected at least 16 characters/);
  });

  it('reads the drain grace and the JetStream replicas shared with the other services', () => {
    expect(loadConfig({})).toMatchObject({ drainGraceMs: 10_000, jetstreamReplicas: 1 });
    expect(loadConfig({ GRAYLANE_DRAIN_GRACE_MS: '15000', GRAYLANE_JETSTREAM_REPLICAS: '3' })).toMatchObject({ drainGraceMs: 15_000, jetstreamReplicas: 3 });
    expect(() => loadConfig({ GRAYLANE_JETSTREAM_REPLICAS: '0' })).toThrow(/^GRAYLANE_JETSTREAM_REPLICAS: expected a whole number from 1 to 5, got "0"/);
  });
});

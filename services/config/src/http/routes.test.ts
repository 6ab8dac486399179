import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { httpAuthFrom, type HttpAuth } from '@graylane/runtime';
import { buildApp } from '../app.js';
import { CommandService, type CommandServiceHooks } from '../commands/command-service.js';
import { memoryTableStore } from '../test-support/memory-store.js';
import { MAX_BODY_BYTES, MAX_JSON_DEPTH, jsonDepthExceeds } from './json-body.js';

const TOKEN = 'config-token-0123456789abcdef';
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** The HTTP app over an in-memory store: this tests the HTTP edge, the store has its own integration test. */
function appWith(
  auth: HttpAuth = httpAuthFrom({ GRAYLANE_CONFIG_TOKEN: TOKEN }, 'GRAYLANE_CONFIG_TOKEN', 'GRAYLANE_CONFIG_AUTH'),
  hooks: CommandServiceHooks = {},
) {
  const store = memoryTableStore();
  const logger = pino({ level: 'silent' });
  return buildApp({ service: new CommandService(store, logger, undefined, hooks), auth, isReady: () => true, logger });
}

function spec(extraMetadata: string = ''): string {
  return (
    '{"spec":{"apiVersion":"graylane.dev/v1","kind":"Rollout","metadata":{"name":"shop"' +
    extraMetadata +
    '},"spec":{"match":{},"stable":{"name":"v1","upstreams":["http://10.0.1.1:8080"]},"canary":{"name":"v2","upstreams":["http://10.0.2.1:8080"]},"traffic":{"weight":5}}}}'
  );
}

const post = (app: ReturnType<typeof appWith>, verb: string, payload: string, headers: Record<string, string> = AUTH) =>
  app.inject({ method: 'POST', url: `/api/v1/commands/${verb}`, headers: { 'content-type': 'application/json', ...headers }, payload });

describe('config HTTP API', () => {
  it('needs the token: none or a wrong one is 401, the right one passes', async () => {
    const app = appWith();
    expect((await post(app, 'apply', spec(), {})).statusCode).toBe(401);
    expect((await post(app, 'apply', spec(), { authorization: `Bearer ${TOKEN.slice(1)}` })).statusCode).toBe(401);
    expect((await post(app, 'apply', spec(), { authorization: TOKEN })).statusCode).toBe(401);
    const ok = await post(app, 'apply', spec());
    expect(ok.statusCode).toBe(200);
  });

  it('is closed when no token is configured, unless GRAYLANE_CONFIG_AUTH=off', async () => {
    const closed = await post(appWith(httpAuthFrom({}, 'GRAYLANE_CONFIG_TOKEN', 'GRAYLANE_CONFIG_AUTH')), 'apply', spec(), {});
    expect(closed.statusCode).toBe(403);
    expect(closed.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_WRITES_CLOSED', retryable: false } });
    const open = await post(appWith(httpAuthFrom({ GRAYLANE_CONFIG_AUTH: 'off' }, 'GRAYLANE_CONFIG_TOKEN', 'GRAYLANE_CONFIG_AUTH')), 'apply', spec(), {});
    expect(open.statusCode).toBe(200);
  });

  it('answers a body over the limit with 413 GRAYLANE_PAYLOAD_TOO_LARGE, not retryable', async () => {
    const big = spec(`,"padding":"${'x'.repeat(MAX_BODY_BYTES)}"`);
    const reply = await post(appWith(), 'apply', big);
    expect(reply.statusCode).toBe(413);
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_PAYLOAD_TOO_LARGE', retryable: false } });
  });

  it('answers deeply nested JSON with 400 GRAYLANE_BAD_JSON before anything walks it', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const body of [spec(`,"labels":${deep}`), `{"name":${deep}}`]) {
      const reply = await post(appWith(), 'apply', body);
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_BAD_JSON', message: expect.stringMatching(/deeper than 64/) as unknown } });
    }
  });

  it('still answers malformed JSON with 400 GRAYLANE_BAD_JSON', async () => {
    const reply = await post(appWith(), 'weight', '{"name": ');
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ error: { code: 'GRAYLANE_BAD_JSON' } });
  });

  it('answers an impossible activateAt with 400 naming the field', async () => {
    const app = appWith();
    expect((await post(app, 'apply', spec())).statusCode).toBe(200);
    const now = Date.now();
    for (const activateAt of ['2026-99-99T99:99:99Z', '2026-02-30T12:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', new Date(now + 3_600_000).toISOString()]) {
      const reply = await post(app, 'weight', JSON.stringify({ name: 'shop', weight: 10, activateAt }));
      expect(reply.statusCode, activateAt).toBe(400);
      expect(reply.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_VALIDATION', field: '/activateAt' } });
    }
    const soon = await post(app, 'weight', JSON.stringify({ name: 'shop', weight: 10, activateAt: new Date(now + 5_000).toISOString() }));
    expect(soon.statusCode).toBe(200);
  });
});

describe('apply refuses what a proxy could not serve', () => {
  it.each(['http://127.0.0.1:99999', 'http://a%zz', 'http://[::1'])('upstream %s: 400 naming the field', async (url) => {
    const body = spec().replace('"http://10.0.2.1:8080"', JSON.stringify(url));
    const reply = await post(appWith(), 'apply', body);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_VALIDATION', message: expect.stringMatching(/invalid upstream/) as unknown } });
    expect(reply.json<{ error: { field: string } }>().error.field).toBe('/rollouts/shop/spec/canary/upstreams/0');
  });

  it.each(['v2-\u{1F680}', 'v2\r\nx-evil: 1'])('pool name %s: 400', async (name) => {
    const decoded = name;
    const body = spec().replace('{"name":"v2"', `{"name":${JSON.stringify(decoded)}`);
    const reply = await post(appWith(), 'apply', body);
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ ok: false, error: { code: 'GRAYLANE_VALIDATION', message: expect.stringMatching(/invalid pool name/) as unknown } });
  });
});

describe('link-local and metadata upstreams', () => {
  it.each(['http://169.254.169.254', 'http://[fd00:ec2::254]', 'http://[fe80::1]:8080'])('refuses %s at apply unless allowed', async (url) => {
    const body = spec().replace('"http://10.0.2.1:8080"', JSON.stringify(url));
    const refused = await post(appWith(), 'apply', body);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      ok: false,
      error: { code: 'GRAYLANE_VALIDATION', field: '/spec/spec/canary/upstreams/0', message: expect.stringMatching(/GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS/) as unknown },
    });
    const allowed = await post(appWith(undefined, { upstreamPolicy: { allowLinkLocal: true } }), 'apply', body);
    expect(allowed.statusCode).toBe(200);
  });
});

describe('jsonDepthExceeds', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(1000)}\\"{"}`, 1)).toBe(false);
    expect(jsonDepthExceeds('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
  });
});

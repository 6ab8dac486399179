import { describe, expect, it } from 'vitest';
import { natsConnectionOptions } from './nats.js';
import { parseNatsUrl, redactNatsUrl } from './nats-url.js';
import { sealNatsAuth } from './nats-auth.js';

describe('parseNatsUrl', () => {
  it('splits user and password off the server, decoding them', () => {
    expect(parseNatsUrl('nats://alice:p%40ss@nats:4222')).toEqual({ servers: ['nats:4222'], user: 'alice', password: 'p@ss', tlsRequired: false });
  });

  it('reads a lone userinfo as a token, and tls:// as TLS required', () => {
    expect(parseNatsUrl('tls://s3cret@a:4222, nats://b:4222')).toEqual({ servers: ['a:4222', 'b:4222'], token: 's3cret', tlsRequired: true });
  });

  it('leaves a URL without credentials as the server list', () => {
    expect(parseNatsUrl('nats://127.0.0.1:4222')).toEqual({ servers: ['127.0.0.1:4222'], tlsRequired: false });
  });
});

describe('redactNatsUrl', () => {
  it('hides every credential of a list', () => {
    expect(redactNatsUrl('nats://alice:pw@a:4222,nats://tok@b:4222')).toBe('nats://***@a:4222,nats://***@b:4222');
    expect(redactNatsUrl('nats://a:4222')).toBe('nats://a:4222');
  });
});

describe('natsConnectionOptions', () => {
  it('passes URL credentials to nats.js, which takes only host:port servers', () => {
    expect(natsConnectionOptions('nats://alice:pw@a:4222', undefined)).toEqual({ servers: ['a:4222'], user: 'alice', pass: 'pw' });
  });

  it('prefers the environment credentials over the URL ones', () => {
    const options = natsConnectionOptions('nats://alice:pw@a:4222', sealNatsAuth({ token: 't0k' }));
    expect(options).toEqual({ servers: ['a:4222'], token: 't0k' });
  });

  it('uses an authenticator for NKey seeds and adds TLS files', () => {
    const options = natsConnectionOptions('nats://a:4222', sealNatsAuth({ nkeySeed: 'SUA…', tls: { caFile: '/ca.pem' } }));
    expect(typeof options.authenticator).toBe('function');
    expect(options.tls).toEqual({ caFile: '/ca.pem' });
  });
});

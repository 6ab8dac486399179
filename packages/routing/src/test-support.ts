// Builders shared by the tests of this package; excluded from the build.
import type { RolloutBodyV1, RolloutRecordV1 } from '@graylane/contracts';
import { cookieValue } from './cookie.js';
import type { RequestFacts } from './types.js';

/** A rollout record with a valid minimal spec; `spec` fields replace the defaults. */
export function record(
  name: string,
  spec: Partial<RolloutBodyV1> = {},
  state: RolloutRecordV1['state'] = 'progressing',
): RolloutRecordV1 {
  return {
    name,
    state,
    updatedAt: '2025-01-01T00:00:00.000Z',
    updatedBy: 'test',
    spec: {
      match: {},
      stable: { name: 'v1', upstreams: ['http://127.0.0.1:9001'] },
      canary: { name: 'v2', upstreams: ['http://127.0.0.1:9002'] },
      traffic: { weight: 10 },
      ...spec,
    },
  };
}

/**
 * Request facts as a proxy would build them; the cookie header is parsed with {@link cookieValue}.
 * With `headerRecord` the facts also carry the headers as a record, as the proxy's do, so a
 * rollout reads them through its header snapshot instead of `header()`.
 */
export function facts(
  init: {
    headers?: Record<string, string | string[]>;
    headerRecord?: boolean;
    cookie?: string;
    query?: Record<string, string>;
    ip?: string;
    host?: string;
    path?: string;
  } = {},
): RequestFacts {
  const record = { ...init.headers };
  const query = new Map(Object.entries(init.query ?? {}));
  return {
    host: init.host ?? 'shop.example.com',
    path: init.path ?? '/',
    clientIp: init.ip ?? '192.0.2.1',
    headers: init.headerRecord === true ? record : undefined,
    header: (name) => {
      const value = Object.hasOwn(record, name) ? record[name] : undefined;
      return Array.isArray(value) ? value[0] : value;
    },
    cookie: (name) => cookieValue(init.cookie, name),
    query: (name) => query.get(name),
  };
}

/** The thrown value of `fn`, failing the test when it does not throw. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

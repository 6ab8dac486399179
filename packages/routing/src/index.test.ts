import { describe, expect, it } from 'vitest';
import * as routing from './index.js';

describe('@graylane/routing entry', () => {
  it('exports the names the proxy and the config service are written against', () => {
    expect(Object.keys(routing).sort()).toEqual(
      [
        'BUCKETS',
        'DEFAULT_STICKY_KEY',
        'EMPTY_TABLE',
        'MAX_REGEX_INPUT',
        'MAX_KEY_UNITS',
        'POOL_NAME_PATTERN',
        'METADATA_TARGETS',
        'metadataTargetOf',
        'upstreamProblem',
        'bucketOf',
        'compileRollout',
        'compileTable',
        'cookieValue',
        'cookieValueStart',
        'firstHeaderValue',
        'inCanary',
        'lastCookieValueEnd',
        'weightToBasisPoints',
      ].sort(),
    );
    expect(routing.BUCKETS).toBe(10_000);
  });
});

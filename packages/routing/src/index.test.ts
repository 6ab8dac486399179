import { describe, expect, it } from 'vitest';
import * as routing from './index.js';

describe('@graylane/routing entry', () => {
  it('exports the names the proxy and the config service are written against', () => {
    expect(Object.keys(routing).sort()).toEqual(
      [
        'EMPTY_TABLE',
        'METADATA_TARGETS',
        'metadataTargetOf',
        'bucketOf',
        'compileRollout',
        'compileTable',
        'cookieValue',
        'cookieValueStart',
        'firstHeaderValue',
        'lastCookieValueEnd',
        'weightToBasisPoints',
      ].sort(),
    );
  });
});

import { ClickHouseError } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { isServerError } from './clickhouse-errors.js';

describe('isServerError', () => {
  it('is true when ClickHouse answered with an error, current or 18.16 wording', () => {
    expect(isServerError(new ClickHouseError({ message: 'Table db.x does not exist', code: '60', type: 'UNKNOWN_TABLE' }))).toBe(true);
    expect(isServerError(new Error('Code: 60, e.displayText() = DB::Exception: Table db.x doesn\'t exist., e.what() = DB::Exception'))).toBe(true);
  });

  it('is false when ClickHouse did not answer', () => {
    expect(isServerError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isServerError(new Error('Timeout error.'))).toBe(false);
    expect(isServerError('Code: 60, not an Error')).toBe(false);
  });
});

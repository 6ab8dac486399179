import { JetStreamApiError } from '@nats-io/jetstream';
import { PermissionViolationError, TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isJetStreamStarting } from './jetstream-ready.js';

const apiError = (status: number, errCode: number, description: string): JetStreamApiError =>
  new JetStreamApiError({ code: status, err_code: errCode, description });

describe('isJetStreamStarting', () => {
  it('is true for what a cluster without a JetStream leader answers', () => {
    expect(isJetStreamStarting(new TimeoutError())).toBe(true);
    expect(isJetStreamStarting(apiError(503, 10008, 'JetStream system temporarily unavailable'))).toBe(true);
    const noResponders = Object.assign(new Error('jetstream is not enabled'), { name: 'JetStreamNotEnabled' });
    expect(isJetStreamStarting(noResponders)).toBe(true);
  });

  it('is false for answers that waiting does not change', () => {
    expect(isJetStreamStarting(apiError(404, 10059, 'stream not found'))).toBe(false);
    expect(isJetStreamStarting(apiError(500, 10074, 'replicas > 1 not supported in non-clustered mode'))).toBe(false);
    expect(isJetStreamStarting(new PermissionViolationError('Permissions Violation for Publish to "$JS.API.INFO"', 'publish', '$JS.API.INFO'))).toBe(false);
    expect(isJetStreamStarting('timeout')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { METADATA_TARGETS, metadataTargetOf } from './metadata-ranges.js';

describe('metadataTargetOf', () => {
  it.each([
    'http://169.254.169.254',
    'http://169.254.169.254:80/latest/meta-data/',
    'http://169.254.0.1:8080',
    'http://0xa9fea9fe', // the same address as URL parsing normalises it
    'http://[::ffff:169.254.169.254]',
    'http://[fe80::1]:8080',
    'http://[fd00:ec2::254]',
    'http://100.100.100.200',
    'http://metadata.google.internal',
    'http://METADATA.google.internal.:80',
  ])('finds %s', (url) => {
    expect(metadataTargetOf(url)).toBeDefined();
  });

  it.each(['http://10.0.0.1:8080', 'http://169.253.255.255', 'http://[fd00:ec2::253]', 'http://[2001:db8::1]', 'http://backend:8080', 'http://not a url'])(
    'passes %s',
    (url) => {
      expect(metadataTargetOf(url)).toBeUndefined();
    },
  );

  it('names what it refuses', () => {
    expect(metadataTargetOf('http://169.254.169.254')).toMatch(/^169\.254\.0\.0\/16: IPv4 link-local/);
    expect(METADATA_TARGETS).toContain('fe80::/10');
  });
});

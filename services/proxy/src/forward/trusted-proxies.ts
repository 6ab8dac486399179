import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { GraylaneError } from '@graylane/contracts';

/**
 * The peers whose X-Forwarded-* headers are believed. From any other peer they are replaced,
 * because a client could otherwise claim any address or scheme.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `cidrs`: e.g. `["10.0.0.0/8", "127.0.0.1/32", "::1/128"]`. */
  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', bitsText] = cidr.split('/');
      const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
      const bits = bitsText === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bitsText);
      if (family === undefined || !Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv4' ? 32 : 128)) {
        throw new GraylaneError('GRAYLANE_VALIDATION', `trusted proxy "${cidr}" is not a CIDR like 10.0.0.0/8 or ::1/128`);
      }
      this.list.addSubnet(address, bits, family);
    }
    this.empty = cidrs.length === 0;
  }

  /** True when `address` (the socket's remote address) is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    if (this.empty || address === undefined) return false;
    if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return this.list.check(address.slice(7), 'ipv4');
    return this.list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  }
}

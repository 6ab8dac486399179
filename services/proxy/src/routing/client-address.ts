import { isIP } from 'node:net';
import type { TrustedProxies } from '../forward/trusted-proxies.js';

/**
 * The client's address as the trusted proxies in front of this one saw it, for region lookup by
 * CIDR. From a peer that is not a trusted proxy, the peer itself: its X-Forwarded-For is whatever
 * the client chose to write (the forwarder replaces it for the same reason). From a trusted peer,
 * the right-most X-Forwarded-For entry that is not itself a trusted proxy: every hop appends the
 * address it saw, so entries left of the first untrusted one may be forged by the client. An
 * entry that is not an address stops the walk at the last trusted hop, which is then the best
 * known client address.
 *
 * `forwardedFor` is the header as Node gives it (one string; several headers joined with ", ").
 */
export function clientAddressOf(peer: string, forwardedFor: string | readonly string[] | undefined, trusted: TrustedProxies): string {
  if (forwardedFor === undefined || !trusted.trusts(peer)) return peer;
  const entries = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',')).split(',');
  let client = peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = addressOf(entries[i]!.trim());
    if (address === undefined) return client;
    client = address;
    if (!trusted.trusts(address)) return address;
  }
  // Every hop is a trusted proxy: the left-most one is where the request entered.
  return client;
}

/** `10.0.0.1`, `10.0.0.1:5678`, `2001:db8::1` or `[2001:db8::1]:443` → the bare address; undefined for anything else. */
function addressOf(entry: string): string | undefined {
  if (isIP(entry) !== 0) return entry;
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    const inner = end > 0 ? entry.slice(1, end) : '';
    return isIP(inner) === 6 ? inner : undefined;
  }
  const colon = entry.lastIndexOf(':');
  if (colon > 0 && entry.indexOf(':') === colon) {
    const host = entry.slice(0, colon);
    return isIP(host) === 4 ? host : undefined;
  }
  return undefined;
}

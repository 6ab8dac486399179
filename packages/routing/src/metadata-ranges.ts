import { inRange, parseCidr, parseIpInto, type CidrRange } from './ip-address.js';

/**
 * Address ranges an upstream should almost never point into: link-local addresses, where every
 * cloud serves its instance metadata (credentials included) to whoever asks from the machine.
 * A proxy forwarding there would hand those to any client. IPv4 addresses are matched in their
 * IPv4-mapped IPv6 form too, since ip-address.ts stores them that way.
 */
const RANGES: readonly { readonly text: string; readonly range: CidrRange; readonly what: string }[] = [
  ['169.254.0.0/16', 'IPv4 link-local, cloud instance metadata (169.254.169.254)'],
  ['fe80::/10', 'IPv6 link-local'],
  ['fd00:ec2::254/128', 'AWS instance metadata over IPv6'],
  ['100.100.100.200/32', 'Alibaba Cloud instance metadata'],
].map(([text, what]) => ({ text: text!, range: parseCidr(text!)!, what: what! }));

/** Names that resolve to a metadata service inside a cloud (Google's; AWS and Azure have none). */
const HOSTS: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata.goog']);

/** The ranges and names refused, for documentation and messages. */
export const METADATA_TARGETS: readonly string[] = [...RANGES.map((r) => r.text), ...HOSTS];

/**
 * Why `upstream` points at a link-local or metadata address (`169.254.0.0/16: IPv4 link-local…`),
 * or undefined. Only literal addresses and the well-known names are recognised: a DNS name that
 * resolves there is not (the proxy resolves names when it connects).
 */
export function metadataTargetOf(upstream: string): string | undefined {
  let host: string;
  try {
    host = new URL(upstream).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (HOSTS.has(host)) return `${host}: cloud instance metadata`;
  const words = new Uint32Array(4);
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!parseIpInto(literal, words)) return undefined;
  const hit = RANGES.find((candidate) => inRange(words, candidate.range));
  return hit === undefined ? undefined : `${hit.text}: ${hit.what}`;
}

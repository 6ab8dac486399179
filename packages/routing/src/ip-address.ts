/**
 * IPv4 and IPv6 addresses and CIDR ranges as four 32-bit words of one 128-bit space: an IPv4
 * address is stored as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so `10.0.1.7` and the
 * `::ffff:10.0.1.7` that Node reports for IPv4 clients on a dual-stack socket are one address,
 * and one prefix comparison serves both families.
 */

/** One parsed address: four words, most significant first. */
export type Words = Uint32Array;

/** A CIDR range: the network's words (host bits cleared) and the prefix length in the 128-bit space. */
export interface CidrRange {
  readonly network: Words;
  readonly prefix: number;
  /** for a range inside the IPv4 space: the network and mask as signed 32-bit integers, for the fast path */
  readonly v4: { readonly network: number; readonly mask: number } | undefined;
}

const MAPPED_PREFIX = '::ffff:';
const COLON = 0x3a;
const DOT = 0x2e;
const ZERO = 0x30;

/**
 * The client address as an unsigned 32-bit IPv4 number when it is IPv4 or IPv4-mapped IPv6
 * (`::ffff:10.0.1.7`), else -1. The fast path of region lookup: no buffer, no split.
 */
export function ipv4Of(text: string): number {
  if (text.length > MAPPED_PREFIX.length + 15) return -1;
  // Only the mapped form starts with ':'; a plain IPv4 address starts with a digit.
  if (text.charCodeAt(0) === COLON) return text.startsWith(MAPPED_PREFIX) ? parseIpv4From(text, MAPPED_PREFIX.length) : -1;
  return parseIpv4From(text, 0);
}

/**
 * Parses `text` into `out` (four words) and returns true, or returns false for anything that is not
 * an IPv4 or IPv6 address. Never throws: client addresses and headers are untrusted input.
 */
export function parseIpInto(text: string, out: Words): boolean {
  if (text.length === 0 || text.length > 64) return false;
  if (text.includes(':')) return parseIpv6(text, out);
  const v4 = parseIpv4(text);
  if (v4 < 0) return false;
  out[0] = 0;
  out[1] = 0;
  out[2] = 0xffff;
  out[3] = v4;
  return true;
}

/** `a.b.c.d` as an unsigned 32-bit number, or -1. */
function parseIpv4(text: string): number {
  return parseIpv4From(text, 0);
}

function parseIpv4From(text: string, start: number): number {
  const end = text.length;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit >= 0 && digit <= 9) {
      if (digits === 3) return -1;
      part = part * 10 + digit;
      digits++;
    } else if (digit === DOT - ZERO && digits > 0 && part <= 255 && dots < 3) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 && part <= 255 ? value * 256 + part : -1;
}

function parseIpv6(text: string, out: Words): boolean {
  const zone = text.indexOf('%');
  const address = zone >= 0 ? text.slice(0, zone) : text;
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return false;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}

/** 16-bit groups of one side of `::`, with an IPv4 tail as two groups; undefined when malformed. */
function groupsOf(text: string): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 < 0) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

/** Parses `10.0.1.0/24` or `2001:db8::/32`; undefined when malformed. Host bits are cleared. */
export function parseCidr(text: string): CidrRange | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const network = new Uint32Array(4);
  const ip = text.slice(0, slash);
  if (!parseIpInto(ip, network)) return undefined;
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return undefined;
  const length = Number(bits);
  const isV4 = !ip.includes(':');
  if (length > (isV4 ? 32 : 128)) return undefined;
  const prefix = isV4 ? 96 + length : length;
  for (let w = 0; w < 4; w++) network[w] = (network[w]! & maskOf(prefix, w)) >>> 0;
  const inV4Space = prefix >= 96 && network[0] === 0 && network[1] === 0 && network[2] === 0xffff;
  // Signed 32-bit, so the hot comparison `(address & mask) === network` stays in small integers.
  const v4 = inV4Space ? Object.freeze({ network: network[3]! | 0, mask: maskOf(prefix, 3) | 0 }) : undefined;
  return Object.freeze({ network, prefix, v4 });
}

/** The mask of word `w` for a prefix of `prefix` bits. */
function maskOf(prefix: number, w: number): number {
  const bits = Math.min(32, Math.max(0, prefix - 32 * w));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Whether the parsed address `words` lies in `range`. */
export function inRange(words: Words, range: CidrRange): boolean {
  for (let w = 0; w < 4; w++) {
    const mask = maskOf(range.prefix, w);
    if (mask === 0) return true;
    if (((words[w]! & mask) >>> 0) !== range.network[w]) return false;
  }
  return true;
}

/**
 * The pieces of HTTP/1.1 syntax (RFC 9112, RFC 9110 §5) the response parser checks, as small pure
 * functions and patterns that allocate nothing beyond their result.
 */

export const CR = 13;
export const LF = 10;
/** 13 hex digits are at most 2^52, below Number.MAX_SAFE_INTEGER; more is refused as an overflow. */
const MAX_CHUNK_SIZE_DIGITS = 13;

/** A field name: `token` (RFC 9110 §5.6.2). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field value: HTAB, SP, VCHAR, obs-text. No CR, LF, NUL or other controls. */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The status code of `HTTP/1.x ddd[ reason]` (RFC 9112 §4), 100 to 599, or -1. Parsed by hand:
 * a regex match would allocate its result on every response.
 */
export function statusOf(text: string, lineEnd: number): number {
  if (lineEnd < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32) return -1;
  const minor = text.charCodeAt(7);
  if (minor !== 48 && minor !== 49) return -1;
  const a = text.charCodeAt(9) - 48;
  const b = text.charCodeAt(10) - 48;
  const c = text.charCodeAt(11) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  if (lineEnd > 12 && (text.charCodeAt(12) !== 32 || !FIELD_VALUE.test(text.slice(13, lineEnd)))) return -1;
  return a * 100 + b * 10 + c;
}

/** The size of a chunk-size line (ending in LF), or why it is refused. */
export function chunkSizeOf(line: string): number | string {
  if (line.length < 2 || line.charCodeAt(line.length - 2) !== CR) return 'upstream chunk-size line does not end in CRLF';
  let size = 0;
  let i = 0;
  for (; i < line.length - 2; i++) {
    const digit = hexValue(line.charCodeAt(i));
    if (digit === -1) break;
    if (i >= MAX_CHUNK_SIZE_DIGITS) return 'upstream chunk size is too large';
    size = size * 16 + digit;
  }
  if (i === 0) return `upstream sent an invalid chunk size "${printable(line.slice(0, -2))}"`;
  if (i < line.length - 2) {
    // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): extensions are ignored, but must start with ";" and hold no controls.
    const ext = trimOws(line.slice(i, -2));
    if (!ext.startsWith(';') || !FIELD_VALUE.test(ext)) return `upstream sent an invalid chunk size "${printable(line.slice(0, -2))}"`;
  }
  return size;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** True when `buf` from `from` holds an LF not preceded by CR. */
export function hasBareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1)) if (i === from || buf[i - 1] !== CR) return true;
  return false;
}

/** A value safe to quote in an error message (and a log line): controls escaped, at most 80 characters. */
export function printable(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(short).slice(1, -1);
}

const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/**
 * The value of cookie `name` in a `Cookie` request header, or undefined when it is absent.
 *
 * One left-to-right pass with no splitting, so a 10 KB header of junk costs one scan and a few
 * string comparisons. Pairs without `=` and stray semicolons are skipped; the first pair with
 * the name wins (what most servers do); surrounding spaces and one pair of double quotes are
 * removed; the value is not percent-decoded, so the same bytes always give the same sticky key.
 */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined || name.length === 0) return undefined;
  const length = cookieHeader.length;
  let start = 0;
  while (start < length) {
    let semicolon = cookieHeader.indexOf(';', start);
    if (semicolon < 0) semicolon = length;
    while (start < semicolon && isSpace(cookieHeader.charCodeAt(start))) start++;
    if (cookieHeader.startsWith(name, start)) {
      let at = start + name.length;
      while (at < semicolon && isSpace(cookieHeader.charCodeAt(at))) at++;
      if (at < semicolon && cookieHeader.charCodeAt(at) === EQUALS) {
        return trimValue(cookieHeader, at + 1, semicolon);
      }
    }
    start = semicolon + 1;
  }
  return undefined;
}

function trimValue(text: string, start: number, end: number): string {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (end - start >= 2 && text.charCodeAt(start) === QUOTE && text.charCodeAt(end - 1) === QUOTE) {
    start++;
    end--;
  }
  return text.slice(start, end);
}

function isSpace(code: number): boolean {
  return code === SPACE || code === TAB;
}

const EQUALS = 0x3d;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/**
 * The value of cookie `name` in a `Cookie` request header, or undefined when it is absent.
 *
 * The name is looked for with `indexOf`, a native substring search, instead of walking the header
 * pair by pair in JavaScript: a request usually carries a few cookies the rollout never reads, and
 * skipping them natively is what keeps two cookie reads per decision cheap. A hit counts only when
 * it starts a pair (nothing but spaces since the previous `;`); after a false hit the search resumes
 * at the next `;`, so a 10 KB header of junk still costs one pass and a few comparisons.
 *
 * Pairs without `=` and stray semicolons are skipped; the first pair with the name wins (what most
 * servers do); surrounding spaces and one pair of double quotes are removed; the value is not
 * percent-decoded, so the same bytes always give the same sticky key.
 */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  // A pair's name never starts with a space: leading spaces are trimmed.
  if (cookieHeader === undefined || name.length === 0 || isSpace(name.charCodeAt(0))) return undefined;
  const length = cookieHeader.length;
  let from = 0;
  while (from < length) {
    const at = cookieHeader.indexOf(name, from);
    if (at < 0) return undefined;
    let semicolon = cookieHeader.indexOf(';', at);
    if (semicolon < 0) semicolon = length;
    // A pair's name never holds `;`, so a name that does matches nothing.
    if (semicolon < at + name.length) return undefined;
    if (startsPair(cookieHeader, at)) {
      let equals = at + name.length;
      let code = cookieHeader.charCodeAt(equals);
      while (isSpace(code)) code = cookieHeader.charCodeAt(++equals);
      if (code === EQUALS) return trimValue(cookieHeader, equals + 1, semicolon);
    }
    // No pair can start later in this one: its first character was at or before `at`.
    from = semicolon + 1;
  }
  return undefined;
}

/** Whether only spaces stand between `at` and the start of its pair. */
function startsPair(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  return i < 0 || text.charCodeAt(i) === SEMICOLON;
}

function trimValue(text: string, start: number, end: number): string {
  // Most values have nothing to trim: two reads instead of four.
  const first = text.charCodeAt(start);
  if (end - start >= 2 && first !== QUOTE && !isSpace(first) && !isSpace(text.charCodeAt(end - 1))) return text.slice(start, end);
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

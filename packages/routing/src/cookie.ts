const EQUALS = 0x3d;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/**
 * The value of cookie `name` in a `Cookie` request header, or undefined when it is absent.
 *
 * Pairs without `=` and stray semicolons are skipped; the first pair with the name wins (what most
 * servers do); surrounding spaces and one pair of double quotes are removed; the value is not
 * percent-decoded, so the same bytes always give the same sticky key.
 */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  const start = cookieValueStart(cookieHeader, name);
  return start < 0 || cookieHeader === undefined ? undefined : cookieHeader.slice(start, valueEnd);
}

/** End (exclusive) of the value the last successful {@link cookieValueStart} found. */
let valueEnd = 0;

/**
 * Where the value of cookie `name` starts in the header, read as {@link cookieValue} reads it, or
 * -1 when absent; {@link lastCookieValueEnd} then tells where it ends. Lets a lookup keyed by the
 * value (the session cache) hash it in place instead of making a string of it for every request.
 * Two small integers rather than one object or one packed number: neither allocates.
 *
 * The name is looked for with `indexOf`, a native substring search, instead of walking the header
 * pair by pair in JavaScript: a request usually carries a few cookies the rollout never reads, and
 * skipping them natively is what keeps two cookie reads per decision cheap. A hit counts only when
 * it starts a pair (nothing but spaces since the previous `;`); after a false hit the search resumes
 * at the next `;`, so a 10 KB header of junk still costs one pass and a few comparisons.
 */
export function cookieValueStart(cookieHeader: string | undefined, name: string): number {
  // A pair's name never starts with a space: leading spaces are trimmed.
  if (cookieHeader === undefined || name.length === 0 || isSpace(name.charCodeAt(0))) return -1;
  const length = cookieHeader.length;
  let from = 0;
  while (from < length) {
    const at = cookieHeader.indexOf(name, from);
    if (at < 0) return -1;
    let semicolon = cookieHeader.indexOf(';', at);
    if (semicolon < 0) semicolon = length;
    // A pair's name never holds `;`, so a name that does matches nothing.
    if (semicolon < at + name.length) return -1;
    if (startsPair(cookieHeader, at)) {
      let equals = at + name.length;
      let code = cookieHeader.charCodeAt(equals);
      while (isSpace(code)) code = cookieHeader.charCodeAt(++equals);
      if (code === EQUALS) return trimmedStart(cookieHeader, equals + 1, semicolon);
    }
    // No pair can start later in this one: its first character was at or before `at`.
    from = semicolon + 1;
  }
  return -1;
}

/**
 * End (exclusive) of the value found by the last {@link cookieValueStart} that did not return -1.
 * Read it right after that call: decisions are synchronous, so no other call can come between.
 */
export function lastCookieValueEnd(): number {
  return valueEnd;
}

/** Whether only spaces stand between `at` and the start of its pair. */
function startsPair(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  return i < 0 || text.charCodeAt(i) === SEMICOLON;
}

function trimmedStart(text: string, start: number, end: number): number {
  // Most values have nothing to trim: two reads instead of four.
  const first = text.charCodeAt(start);
  if (end - start >= 2 && first !== QUOTE && !isSpace(first) && !isSpace(text.charCodeAt(end - 1))) {
    valueEnd = end;
    return start;
  }
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (end - start >= 2 && text.charCodeAt(start) === QUOTE && text.charCodeAt(end - 1) === QUOTE) {
    start++;
    end--;
  }
  valueEnd = end;
  return start;
}

function isSpace(code: number): boolean {
  return code === SPACE || code === TAB;
}

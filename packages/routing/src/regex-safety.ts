/**
 * Whether a regular expression repeats a group that itself contains an unbounded repeat, such as
 * `(a+)+`, `(\w*)*` or `(x+y){2,}`.
 *
 * JavaScript regexes backtrack, and that nesting can take exponential time on a crafted header
 * of a few dozen characters, which would stall every request the proxy serves. This is the
 * star-height check of tools like safe-regex: it catches the classic shapes, not every slow
 * pattern (overlapping alternatives such as `(a|a)*` pass), and it also refuses some harmless
 * ones such as `^(\d+,)*\d+$`. Refusing at compile time with a clear message is cheaper than a
 * proxy stuck on one request; a rule can almost always be written without the outer repeat.
 */
export function hasNestedRepeat(pattern: string): boolean {
  // One entry per open group: whether it contains an unbounded repeat so far.
  const groups: boolean[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '[') {
      i = endOfClass(pattern, i + 1);
      continue;
    }
    if (c === '(') {
      groups.push(false);
      i++;
      continue;
    }
    if (c === ')') {
      const innerRepeats = groups.pop() ?? false;
      const repeatLength = unboundedRepeatAt(pattern, i + 1);
      if (innerRepeats && repeatLength > 0) return true;
      if (innerRepeats || repeatLength > 0) markTop(groups);
      i += 1 + repeatLength;
      continue;
    }
    const repeatLength = unboundedRepeatAt(pattern, i);
    if (repeatLength > 0) {
      markTop(groups);
      i += repeatLength;
      continue;
    }
    i++;
  }
  return false;
}

function markTop(groups: boolean[]): void {
  if (groups.length > 0) groups[groups.length - 1] = true;
}

/** Index just after the `]` closing a character class whose body starts at `i`. */
function endOfClass(pattern: string, i: number): number {
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') i += 2;
    else if (c === ']') return i + 1;
    else i++;
  }
  return i;
}

/** Length of an unbounded quantifier (`+`, `*`, `{n,}`) starting at `i`, else 0. */
function unboundedRepeatAt(pattern: string, i: number): number {
  const c = pattern[i];
  if (c === '+' || c === '*') return 1;
  if (c !== '{') return 0;
  const match = /^\{\d+,\}/.exec(pattern.slice(i, i + 24));
  return match ? match[0].length : 0;
}

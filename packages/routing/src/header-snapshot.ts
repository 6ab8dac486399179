/**
 * A request's headers as Node gives them: lower-case names, one string per header (Node joins
 * repeated ones), an array only for the few headers Node keeps apart (`set-cookie`).
 */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The values of a rollout's header names, in slot order; undefined where a header is absent. */
export type HeaderValues = readonly (string | undefined)[];

/** Reads every header a rollout uses from a header record, in one call. */
export type HeaderSnapshot = (headers: HeaderRecord) => HeaderValues;

/**
 * The first value of a header, as {@link RequestFacts.header} gives it. Anything that is not a
 * string counts as absent: Node's header record inherits from Object.prototype, so a rollout
 * reading a header named `constructor` or `__proto__` would otherwise get a function or an object.
 */
export function firstHeaderValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

/**
 * The header names one rollout reads (rules, sticky key, region header), each with its slot in the
 * array a {@link HeaderSnapshot} returns. Collected while the rollout compiles, then turned into
 * one snapshot function.
 */
export class HeaderSlots {
  private readonly names: string[] = [];

  /** The slot of lower-case header `name`, given out once per distinct name. */
  slotOf(name: string): number {
    const known = this.names.indexOf(name);
    if (known >= 0) return known;
    this.names.push(name);
    return this.names.length - 1;
  }

  /**
   * The snapshot of these names, or undefined when the rollout reads no header.
   *
   * Why generated code: reading `headers[name]` with a name that varies (one shared function for
   * every rule) is a megamorphic keyed load in V8, a lookup through a runtime stub every time;
   * measured with `perf` on bench/routing.ts it was a fifth of a whole decision. A function whose
   * source names each header as a literal gets an inline cache per header instead. The source holds
   * nothing but property reads, each name quoted by `JSON.stringify`, so no spec text can become
   * code. Where code generation from strings is disabled (`--disallow-code-generation-from-strings`),
   * the same reads run through a loop.
   */
  compile(): HeaderSnapshot | undefined {
    if (this.names.length === 0) return undefined;
    const names = Object.freeze([...this.names]);
    try {
      const reads = names.map((name) => `first(headers[${JSON.stringify(name)}])`).join(', ');
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: literal property reads only
      const build = new Function('first', `return (headers) => [${reads}];`) as (pick: typeof firstHeaderValue) => HeaderSnapshot;
      return build(firstHeaderValue);
    } catch {
      return interpretedSnapshot(names);
    }
  }
}

/** The snapshot of `names` without generated code: the fallback, and the reference in tests. */
export function interpretedSnapshot(names: readonly string[]): HeaderSnapshot {
  return (headers) => names.map((name) => firstHeaderValue(headers[name]));
}

/** Sticky-key sources that read a named request field; `ip` (the client address) takes no name. */
export const STICKY_KEY_KINDS = ['header', 'cookie', 'query'] as const;
export type StickyKeyKind = (typeof STICKY_KEY_KINDS)[number];

/**
 * One source of `traffic.stickyKey`: `header:NAME`, `cookie:NAME`, `query:NAME` or `ip`. The spec
 * schema checks it with this pattern and the routing engine parses it with
 * {@link parseStickyKeySource}, so the two cannot disagree on what a source is.
 */
export const STICKY_KEY_SOURCE_PATTERN = `^((${STICKY_KEY_KINDS.join('|')}):[A-Za-z0-9_.-]{1,128}|ip)$`;

/** The accepted forms in words, for error messages. */
export const STICKY_KEY_SOURCE_FORMS = `${STICKY_KEY_KINDS.map((kind) => `${kind}:NAME`).join(', ')} or ip`;

/** A sticky-key source split into its parts; names are kept exactly as written. */
export type StickyKeySourceParts = { readonly kind: StickyKeyKind; readonly name: string } | { readonly kind: 'ip' };

const SOURCE = new RegExp(STICKY_KEY_SOURCE_PATTERN);

/** The parts of a sticky-key source, or undefined when `text` does not match {@link STICKY_KEY_SOURCE_PATTERN}. */
export function parseStickyKeySource(text: string): StickyKeySourceParts | undefined {
  const match = SOURCE.exec(text);
  if (match === null) return undefined;
  const kind = match[2] as StickyKeyKind | undefined;
  if (kind === undefined) return { kind: 'ip' };
  return { kind, name: text.slice(kind.length + 1) };
}

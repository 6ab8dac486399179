import { parseStickyKeySource, STICKY_KEY_SOURCE_FORMS } from '@graylane/contracts';
import { CompileSite } from './compile-error.js';
import { CLIENT_IP, COOKIE, FactSource, HEADER, QUERY } from './fact-source.js';
import type { HeaderSlots } from './header-snapshot.js';

/** The sticky key sources when a rollout names none: a user id header, then a cookie, then the IP. */
export const DEFAULT_STICKY_KEY: readonly string[] = Object.freeze(['header:x-user-id', 'cookie:uid', 'ip']);

/**
 * The sources of `traffic.stickyKey` (`header:NAME`, `cookie:NAME`, `query:NAME`, `ip`) in
 * order. Header names are lower-cased because request facts carry them lower-case; cookie and
 * query names are case-sensitive and kept as written.
 */
export function compileStickyKey(sources: readonly string[] | undefined, site: CompileSite, slots: HeaderSlots): readonly FactSource[] {
  const list = sources ?? DEFAULT_STICKY_KEY;
  if (list.length === 0) {
    throw site.error('GRAYLANE_VALIDATION', ['spec', 'traffic', 'stickyKey'], 'must name at least one source, e.g. ["header:x-user-id", "ip"]');
  }
  return Object.freeze(list.map((text, index) => compileSource(text, index, site, slots)));
}

function compileSource(text: string, index: number, site: CompileSite, slots: HeaderSlots): FactSource {
  // The grammar is the contracts' (the spec schema checks the same pattern); this only maps it.
  const source = parseStickyKeySource(text);
  if (source === undefined) {
    throw site.error(
      'GRAYLANE_VALIDATION',
      ['spec', 'traffic', 'stickyKey', index],
      `invalid sticky key source ${JSON.stringify(text)}: expected ${STICKY_KEY_SOURCE_FORMS}`,
    );
  }
  switch (source.kind) {
    case 'ip':
      return new FactSource(CLIENT_IP, '');
    case 'header':
      return new FactSource(HEADER, source.name.toLowerCase(), slots);
    case 'cookie':
      return new FactSource(COOKIE, source.name);
    case 'query':
      return new FactSource(QUERY, source.name);
  }
}

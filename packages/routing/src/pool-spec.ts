import type { CompileSite, FieldPath } from './compile-error.js';
import { shown } from './compile-error.js';

/**
 * What a pool name may be. The name travels in the `x-graylane-pool` response header, in session
 * bindings and in metric labels, so it must be a header-safe token: a name with CR/LF or non-ASCII
 * characters makes every response the proxy sends for it fail.
 */
export const POOL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws GRAYLANE_VALIDATION at `path` unless `name` is a header-safe pool name. */
export function checkPoolName(name: string, site: CompileSite, path: FieldPath): void {
  if (!POOL_NAME_PATTERN.test(name)) {
    throw site.error(
      'GRAYLANE_VALIDATION',
      path,
      `invalid pool name ${shown(name)}: expected 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/**
 * Throws GRAYLANE_VALIDATION at `path[index]` for the first upstream the proxy could not send to:
 * one `new URL()` cannot parse (`http://a%zz`, `http://[::1`, a port above 65535), another scheme
 * than http or https, port 0, or credentials in the URL (never sent, and they would sit in the
 * stored config and in every log line that names the upstream).
 */
export function checkUpstreams(upstreams: readonly string[], site: CompileSite, path: FieldPath): void {
  upstreams.forEach((text, index) => {
    const problem = upstreamProblem(text);
    if (problem !== undefined) throw site.error('GRAYLANE_VALIDATION', [...path, index], `invalid upstream ${shown(text)}: ${problem}`);
  });
}

/** Why the proxy could not use `text` as an upstream, or undefined. */
export function upstreamProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'not a URL (expected http://host:port, with a port 1-65535)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol.slice(0, -1)}: expected http or https`;
  if (url.hostname === '') return 'no host';
  if (url.port === '0') return 'port 0: expected a port 1-65535';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL are never sent to the upstream; remove them';
  return undefined;
}

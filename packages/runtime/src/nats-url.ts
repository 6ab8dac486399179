/**
 * GRAYLANE_NATS_URL may carry credentials (`nats://user:pass@host:4222`, `nats://token@host`), as
 * NATS clients usually accept. nats.js takes servers as `host:port` only, so the credentials are
 * split off here and passed as connect options; every URL shown to a human goes through
 * {@link redactNatsUrl} first.
 */

/** The parts of a NATS URL (or a comma-separated list of them) that nats.js needs. */
export interface ParsedNatsUrl {
  /** `host:port` of each server, without scheme or credentials. */
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  /** A `tls://` URL asks for TLS even without a CA or client certificate. */
  tlsRequired: boolean;
}

const URL_PATTERN = /^(?<scheme>[a-z]+):\/\/(?:(?<userinfo>[^@/]*)@)?(?<hostport>[^/?#]*)/i;

/** Splits a NATS URL list into servers and credentials; the first URL with credentials wins. */
export function parseNatsUrl(url: string): ParsedNatsUrl {
  const parsed: ParsedNatsUrl = { servers: [], tlsRequired: false };
  for (const part of url.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const match = URL_PATTERN.exec(part);
    if (match?.groups === undefined) {
      parsed.servers.push(part);
      continue;
    }
    const { scheme = '', userinfo, hostport = '' } = match.groups;
    parsed.servers.push(hostport);
    if (scheme.toLowerCase() === 'tls') parsed.tlsRequired = true;
    if (userinfo === undefined || userinfo === '' || parsed.user !== undefined || parsed.token !== undefined) continue;
    const colon = userinfo.indexOf(':');
    if (colon < 0) {
      parsed.token = decodeURIComponent(userinfo);
    } else {
      parsed.user = decodeURIComponent(userinfo.slice(0, colon));
      parsed.password = decodeURIComponent(userinfo.slice(colon + 1));
    }
  }
  return parsed;
}

/** The URL with any credentials replaced by `***`, safe for logs, errors and `status`. */
export function redactNatsUrl(url: string): string {
  return url.replace(/(^|,\s*)([a-z]+:\/\/)[^@/,]*@/gi, '$1$2***@');
}

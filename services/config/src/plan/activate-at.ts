import { GraylaneError } from '@graylane/contracts';

/**
 * How far ahead an `activateAt` may be. Proxies hold a scheduled version at most 10 minutes
 * (services/proxy routing/table-holder.ts MAX_ACTIVATE_DELAY_MS) and switch then anyway, so a
 * later instant would be a promise the fleet does not keep.
 */
export const MAX_ACTIVATE_AHEAD_MS = 10 * 60_000;

/**
 * How far back an `activateAt` may be: a little clock skew between the operator's machine and the
 * service is normal (the version then applies at once); an instant older than this is a mistake.
 */
export const MAX_ACTIVATE_BEHIND_MS = 5 * 60_000;

/**
 * `activateAt` as the ISO instant stored in the table, or GRAYLANE_VALIDATION naming the field
 * when it is no real date (`2026-02-30T25:00:00Z`) or outside the window around `now`.
 */
export function activationInstant(activateAt: string, now: Date): string {
  const at = Date.parse(activateAt);
  const fail = (detail: string): GraylaneError =>
    new GraylaneError('GRAYLANE_VALIDATION', `activateAt ${JSON.stringify(activateAt)}: ${detail}`, { field: '/activateAt' });
  // Date.parse rolls some impossible dates over (Feb 30 → Mar 2); the round trip catches them.
  if (Number.isNaN(at) || !sameCalendarFields(activateAt, at)) throw fail('not a real instant');
  const aheadMs = at - now.getTime();
  if (aheadMs > MAX_ACTIVATE_AHEAD_MS) {
    throw fail(`more than ${MAX_ACTIVATE_AHEAD_MS / 60_000} minutes ahead of the service's clock (${now.toISOString()}); proxies hold a version at most that long`);
  }
  if (-aheadMs > MAX_ACTIVATE_BEHIND_MS) {
    throw fail(`more than ${MAX_ACTIVATE_BEHIND_MS / 60_000} minutes in the past of the service's clock (${now.toISOString()})`);
  }
  return new Date(at).toISOString();
}

/** Whether the date and time written in `text` (before any offset) name a real calendar instant. */
function sameCalendarFields(text: string, at: number): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (match === null) return true; // other forms were refused by the command schema
  const offsetMinutes = match[7] === 'Z' ? 0 : (match[8] === '-' ? -1 : 1) * (Number(match[9]) * 60 + Number(match[10]));
  if (Math.abs(offsetMinutes) > 18 * 60 || Number(match[10] ?? 0) > 59) return false;
  const local = new Date(at + offsetMinutes * 60_000);
  return (
    local.getUTCFullYear() === Number(match[1]) &&
    local.getUTCMonth() + 1 === Number(match[2]) &&
    local.getUTCDate() === Number(match[3]) &&
    local.getUTCHours() === Number(match[4]) &&
    local.getUTCMinutes() === Number(match[5]) &&
    local.getUTCSeconds() === Number(match[6])
  );
}

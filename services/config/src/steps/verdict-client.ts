import { REPORT_SUBJECT, type ReportReplyV2 } from '@graylane/contracts';
import type { GateVerdict } from './analysis-gate.js';
import { decodeJson, encodeJson, type NatsConnection } from '@graylane/runtime';

/** How long the step driver waits for analytics before holding the step for this tick. */
const VERDICT_TIMEOUT_MS = 2000;

/** Fetches a rollout's guardrail verdicts over the last `sinceSeconds`, newest first. */
export type VerdictSource = (name: string, sinceSeconds: number) => Promise<GateVerdict[] | undefined>;

/**
 * Asks analytics for a report on {@link REPORT_SUBJECT} and returns its verdicts; undefined when
 * analytics does not answer, fails, or serves no verdicts, which holds a gated step.
 */
export function natsVerdictSource(nc: NatsConnection): VerdictSource {
  return async (name, sinceSeconds) => {
    try {
      const msg = await nc.request(REPORT_SUBJECT, encodeJson({ name, sinceSeconds }), { timeout: VERDICT_TIMEOUT_MS });
      const reply = decodeJson(msg.data) as ReportReplyV2;
      return reply.ok ? reply.report.verdicts : undefined;
    } catch {
      return undefined;
    }
  };
}

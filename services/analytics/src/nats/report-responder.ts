import { GraylaneError, REPORT_SUBJECT, ReportRequestV1, parseWith, type ReportReplyV2 } from '@graylane/contracts';
import { asGraylaneError, decodeJson, encodeJson, type Logger, type Msg, type NatsConnection, type Subscription } from '@graylane/runtime';
import type { ReportSource } from '../store/metrics-store.js';

/** Analytics replicas share report requests, so each request is answered once. */
export const ANALYTICS_QUEUE_GROUP = 'graylane-analytics';

/**
 * Answers ReportRequestV1 on {@link REPORT_SUBJECT} with a ReportReplyV2: the report, or a typed
 * error (bad JSON, invalid request, ClickHouse unavailable). A rollout without traffic in the
 * window gets an ok reply with no pools. Unsubscribe (or drain) the returned subscription to stop.
 */
export function startReportResponder(nc: NatsConnection, reports: ReportSource, logger: Logger): Subscription {
  return nc.subscribe(REPORT_SUBJECT, {
    queue: ANALYTICS_QUEUE_GROUP,
    callback: (error, msg) => {
      if (error) {
        logger.error({ err: error }, 'report subscription failed');
        return;
      }
      void answer(msg, reports, logger);
    },
  });
}

async function answer(msg: Msg, reports: ReportSource, logger: Logger): Promise<void> {
  let reply: ReportReplyV2;
  try {
    const request = parseWith(ReportRequestV1, parseJson(msg.data), 'report request');
    reply = { ok: true, report: await reports.report(request.name, request.sinceSeconds) };
  } catch (error) {
    const typed = asGraylaneError(error);
    if (typed.code === 'GRAYLANE_INTERNAL' || typed.code === 'GRAYLANE_UNAVAILABLE') {
      logger.error({ err: error }, 'report request failed');
    }
    reply = { ok: false, error: typed.toBody() };
  }
  if (!msg.reply) return;
  try {
    msg.respond(encodeJson(reply));
  } catch (error) {
    logger.warn({ err: error }, 'could not send a report reply');
  }
}

function parseJson(data: Uint8Array): unknown {
  try {
    return decodeJson(data);
  } catch (error) {
    throw new GraylaneError('GRAYLANE_BAD_JSON', `report request is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

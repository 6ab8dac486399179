import { parseWith, GUARDRAIL_PAUSE_CONSUMER, GUARDRAIL_PAUSE_SUBJECT, GuardrailPauseEventV1 } from '@graylane/contracts';
import type { Logger, NatsConnection } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { planGuardrailPause } from '../rollback/plan-guardrail-pause.js';
import { consumeEventPlans } from './event-plan-consumer.js';

/**
 * Applies analytics' low-traffic pauses; a second delivery finds the rollout paused already.
 * Returns a stopper.
 */
export function consumeGuardrailPauses(nc: NatsConnection, service: CommandService, logger: Logger): Promise<() => Promise<void>> {
  return consumeEventPlans(nc, service, logger, {
    consumer: GUARDRAIL_PAUSE_CONSUMER,
    subject: GUARDRAIL_PAUSE_SUBJECT,
    parse: (value) => parseWith(GuardrailPauseEventV1, value, 'guardrail pause'),
    what: 'guardrail pause',
    plan: planGuardrailPause,
    applied: 'paused: too little traffic to judge',
  });
}

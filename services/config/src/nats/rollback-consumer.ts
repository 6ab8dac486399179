import { parseWith, ROLLBACK_CONSUMER, ROLLBACK_SUBJECT, RollbackEventV1 } from '@graylane/contracts';
import type { Logger, NatsConnection } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';
import { planRollbackEvent } from '../rollback/plan-rollback.js';
import { consumeEventPlans } from './event-plan-consumer.js';

/**
 * Applies rollback events from analytics. The remembered event id makes a redelivery a no-op.
 * Returns a stopper.
 */
export function consumeRollbacks(nc: NatsConnection, service: CommandService, logger: Logger): Promise<() => Promise<void>> {
  return consumeEventPlans(nc, service, logger, {
    consumer: ROLLBACK_CONSUMER,
    subject: ROLLBACK_SUBJECT,
    parse: (value) => parseWith(RollbackEventV1, value, 'rollback event'),
    what: 'rollback event',
    plan: planRollbackEvent,
    applied: 'rolled back',
  });
}

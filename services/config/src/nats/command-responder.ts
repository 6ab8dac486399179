import { COMMAND_SUBJECT_PREFIX, CONFIG_QUEUE_GROUP, GraylaneError, type CommandReplyV1 } from '@graylane/contracts';
import { decodeJson, encodeJson, type Logger, type Msg, type NatsConnection, type Subscription } from '@graylane/runtime';
import type { CommandService } from '../commands/command-service.js';

/**
 * Answers commands published on `graylane.cmd.v1.<verb>`. Replicas share a queue group, so each
 * command runs once; the reply is a CommandReplyV1.
 */
export function serveCommands(nc: NatsConnection, service: CommandService, logger: Logger): Subscription {
  return nc.subscribe(`${COMMAND_SUBJECT_PREFIX}.>`, {
    queue: CONFIG_QUEUE_GROUP,
    callback: (error, msg) => {
      if (error) {
        logger.error({ err: error }, 'command subscription failed');
        return;
      }
      void answer(msg, service).catch((failure: unknown) => logger.error({ err: failure }, 'could not reply'));
    },
  });
}

async function answer(msg: Msg, service: CommandService): Promise<void> {
  const verb = msg.subject.slice(COMMAND_SUBJECT_PREFIX.length + 1);
  let reply: CommandReplyV1;
  try {
    const body = msg.data.length === 0 ? {} : decodeJson(msg.data);
    reply = await service.execute(verb, body);
  } catch (error) {
    reply = {
      ok: false,
      error: new GraylaneError('GRAYLANE_BAD_JSON', `command body is not valid JSON: ${(error as Error).message}`).toBody(),
    };
  }
  msg.respond(encodeJson(reply));
}

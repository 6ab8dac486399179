import {
  COMMAND_SUBJECT_PREFIX,
  COMMAND_SUBJECT_V2_PREFIX,
  CONFIG_QUEUE_GROUP,
  GraylaneError,
  type CommandReplyV1,
} from '@graylane/contracts';
import { decodeJson, encodeJson, type Logger, type Msg, type NatsConnection } from '@graylane/runtime';
import type { CommandCaller, CommandService } from '../commands/command-service.js';

/** Options of {@link serveCommands}. */
export interface CommandResponderOptions {
  /**
   * Answer `graylane.cmd.v1.<verb>`, whose sender nobody vouches for. Off on a closed bus, where
   * only v2 subjects, bound to an identity by the server's permissions, can name the actor.
   */
  acceptV1: boolean;
}

/** The command subscriptions, stopped together. */
export interface CommandSubscriptions {
  unsubscribe(): void;
}

/**
 * Answers commands on `graylane.cmd.v2.<identity>.<verb>` (the actor is `<identity>`: the
 * server lets only that identity publish there) and on `graylane.cmd.v1.<verb>` (the actor is
 * whatever the body says, or the command is refused). Replicas share a queue group, so each
 * command runs once; the reply is a CommandReplyV1.
 */
export function serveCommands(nc: NatsConnection, service: CommandService, logger: Logger, options: CommandResponderOptions): CommandSubscriptions {
  const handle = (caller: (msg: Msg) => CommandCaller | undefined | GraylaneError, verbOf: (msg: Msg) => string) =>
    (error: Error | null, msg: Msg): void => {
      if (error) {
        logger.error({ err: error }, 'command subscription failed');
        return;
      }
      void answer(msg, service, verbOf(msg), caller(msg)).catch((failure: unknown) => logger.error({ err: failure }, 'could not reply'));
    };
  const v1 = nc.subscribe(`${COMMAND_SUBJECT_PREFIX}.>`, {
    queue: CONFIG_QUEUE_GROUP,
    callback: handle(
      () =>
        options.acceptV1
          ? undefined
          : new GraylaneError(
              'GRAYLANE_UNAUTHORIZED',
              `commands on ${COMMAND_SUBJECT_PREFIX} name no authenticated sender; send them on ${COMMAND_SUBJECT_V2_PREFIX}.<identity>.<verb> with NATS credentials (GRAYLANE_NATS_USER)`,
            ),
      (msg) => msg.subject.slice(COMMAND_SUBJECT_PREFIX.length + 1),
    ),
  });
  const v2 = nc.subscribe(`${COMMAND_SUBJECT_V2_PREFIX}.*.>`, {
    queue: CONFIG_QUEUE_GROUP,
    callback: handle(
      (msg) => ({ actor: identityOf(msg.subject) }),
      (msg) => msg.subject.slice(COMMAND_SUBJECT_V2_PREFIX.length + identityOf(msg.subject).length + 2),
    ),
  });
  return {
    unsubscribe: () => {
      v1.unsubscribe();
      v2.unsubscribe();
    },
  };
}

function identityOf(subject: string): string {
  return subject.slice(COMMAND_SUBJECT_V2_PREFIX.length + 1).split('.', 1)[0] ?? '';
}

async function answer(msg: Msg, service: CommandService, verb: string, caller: CommandCaller | undefined | GraylaneError): Promise<void> {
  let reply: CommandReplyV1;
  if (caller instanceof GraylaneError) {
    reply = { ok: false, error: caller.toBody() };
  } else {
    try {
      const body = msg.data.length === 0 ? {} : decodeJson(msg.data);
      reply = await service.execute(verb, body, caller);
    } catch (error) {
      reply = {
        ok: false,
        error: new GraylaneError('GRAYLANE_BAD_JSON', `command body is not valid JSON: ${(error as Error).message}`).toBody(),
      };
    }
  }
  msg.respond(encodeJson(reply));
}

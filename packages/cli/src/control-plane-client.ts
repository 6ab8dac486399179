import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  commandSubject,
  commandSubjectV2,
  GraylaneError,
  REPORT_SUBJECT,
  type CommandReplyV1,
  type CommandVerb,
  type ReportReplyV2,
  type ReportRequestV1,
} from '@graylane/contracts';
import { decodeJson, encodeJson, natsConnectionOptions, redactNatsUrl, type NatsAuth } from '@graylane/runtime';

const REQUEST_TIMEOUT_MS = 5000;

/**
 * The CLI's link to graylane: NATS request/reply to the config and analytics services. Every
 * failure becomes a GraylaneError with a message that says what to do about it. URLs in
 * messages are shown without their credentials.
 */
export class ControlPlaneClient {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly url: string,
    private readonly identity: string | undefined,
  ) {}

  /**
   * Connects with `auth` (or the credentials in `url`). With an identity (the NATS user, or
   * GRAYLANE_NATS_IDENTITY), commands go on `graylane.cmd.v2.<identity>.<verb>`, the subject
   * the server lets only that identity use, so the config service records it as the actor.
   */
  static async connect(url: string, auth?: NatsAuth): Promise<ControlPlaneClient> {
    const shown = redactNatsUrl(url);
    try {
      const nc = await connect({ ...natsConnectionOptions(url, auth), timeout: 2000, reconnect: false, name: 'graylane-cli' });
      return new ControlPlaneClient(nc, shown, auth?.identity ?? urlUser(url));
    } catch (error) {
      const text = (error as Error).message;
      if (/authorization violation|authentication/i.test(text)) {
        throw new GraylaneError(
          'GRAYLANE_UNAUTHORIZED',
          `NATS at ${shown} refused the credentials (${text}); set GRAYLANE_NATS_USER and GRAYLANE_NATS_PASSWORD (or the other GRAYLANE_NATS_* credentials), or use the stack "graylane up" started`,
          { cause: error },
        );
      }
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', `cannot reach NATS at ${shown} (${text}); run "graylane up" or set GRAYLANE_NATS_URL`, {
        cause: error,
      });
    }
  }

  /** Sends a command to the config service; a failed command throws its typed error. */
  async command(verb: CommandVerb, body: unknown): Promise<Extract<CommandReplyV1, { ok: true }>> {
    const subject = this.identity === undefined ? commandSubject(verb) : commandSubjectV2(this.identity, verb);
    const reply = (await this.request(subject, body, 'config')) as CommandReplyV1;
    if (!reply.ok) throw new GraylaneError(reply.error.code, reply.error.message, reply.error.field === undefined ? {} : { field: reply.error.field });
    return reply;
  }

  async report(request: ReportRequestV1): Promise<Extract<ReportReplyV2, { ok: true }>['report']> {
    const reply = (await this.request(REPORT_SUBJECT, request, 'analytics')) as ReportReplyV2;
    if (!reply.ok) throw new GraylaneError(reply.error.code, reply.error.message);
    return reply.report;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }

  private async request(subject: string, body: unknown, service: string): Promise<unknown> {
    try {
      const msg = await this.nc.request(subject, encodeJson(body), { timeout: REQUEST_TIMEOUT_MS });
      return decodeJson(msg.data);
    } catch (error) {
      const text = (error as Error).message;
      if (/permissions violation/i.test(text)) {
        throw new GraylaneError('GRAYLANE_UNAUTHORIZED', `NATS does not let this identity publish on ${subject} (${text})`, { cause: error });
      }
      const hint = /no responders|503/i.test(text) ? `the ${service} service is not running` : `the ${service} service did not answer`;
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', `${hint} (${subject} on ${this.url}: ${text})`, { cause: error });
    }
  }
}

/** The user of `nats://user:pass@host`: on a closed bus, the identity its permissions name. */
function urlUser(url: string): string | undefined {
  const match = /^[a-z]+:\/\/([^:@/]+):[^@/]*@/i.exec(url);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  commandSubject,
  GraylaneError,
  REPORT_SUBJECT,
  type CommandReplyV1,
  type CommandVerb,
  type ReportReplyV2,
  type ReportRequestV1,
} from '@graylane/contracts';
import { decodeJson, encodeJson } from '@graylane/runtime';

const REQUEST_TIMEOUT_MS = 5000;

/**
 * The CLI's link to graylane: NATS request/reply to the config and analytics services. Every
 * failure becomes a GraylaneError with a message that says what to do about it.
 */
export class ControlPlaneClient {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly url: string,
  ) {}

  static async connect(url: string): Promise<ControlPlaneClient> {
    try {
      const nc = await connect({ servers: url.replace(/^nats:\/\//, ''), timeout: 2000, reconnect: false, name: 'graylane-cli' });
      return new ControlPlaneClient(nc, url);
    } catch (error) {
      throw new GraylaneError(
        'GRAYLANE_UNAVAILABLE',
        `cannot reach NATS at ${url} (${(error as Error).message}); run "graylane up" or set GRAYLANE_NATS_URL`,
        { cause: error },
      );
    }
  }

  /** Sends a command to the config service; a failed command throws its typed error. */
  async command(verb: CommandVerb, body: unknown): Promise<Extract<CommandReplyV1, { ok: true }>> {
    const reply = (await this.request(commandSubject(verb), body, 'config')) as CommandReplyV1;
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
      const hint = /no responders|503/i.test(text) ? `the ${service} service is not running` : `the ${service} service did not answer`;
      throw new GraylaneError('GRAYLANE_UNAVAILABLE', `${hint} (${subject} on ${this.url}: ${text})`, { cause: error });
    }
  }
}

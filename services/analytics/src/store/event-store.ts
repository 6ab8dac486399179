import type { ClickHouseClient } from './clickhouse.js';

/** One message of GRAYLANE_EVENTS as the `events` table keeps it. */
export interface EventRow {
  /** Unix seconds the stream stored it. */
  at: number;
  stream_seq: number;
  subject: string;
  /** The event's `schema` field, or '' when it has none. */
  schema: string;
  event_id: string;
  rollouts: string[];
  /** The message body as published. */
  body: string;
}

/** The `events` table: an audit copy of rollbacks and config changes. */
export class EventStore {
  private readonly client: ClickHouseClient;
  private readonly database: string;

  constructor(client: ClickHouseClient, database: string) {
    this.client = client;
    this.database = database;
  }

  /** Writes the rows in one insert; rows of the same stream sequence collapse. */
  async insert(rows: readonly EventRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: `${this.database}.events`, values: [...rows], format: 'JSONEachRow' });
  }
}

/**
 * The row for one events-stream message: the body is kept verbatim (even when it is not JSON, so
 * nothing is lost from the audit), and the few fields operators filter on are pulled out.
 */
export function eventRowOf(subject: string, streamSeq: number, atMs: number, data: Uint8Array): EventRow {
  const body = new TextDecoder().decode(data);
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON: stored as text with empty fields.
  }
  const rollouts = Array.isArray(parsed.rollouts)
    ? parsed.rollouts.filter((one): one is string => typeof one === 'string')
    : typeof parsed.rollout === 'string'
      ? [parsed.rollout]
      : [];
  const eventId = typeof parsed.eventId === 'string' ? parsed.eventId : typeof parsed.version === 'number' ? String(parsed.version) : '';
  return {
    at: Math.floor(atMs / 1000),
    stream_seq: streamSeq,
    subject,
    schema: typeof parsed.schema === 'string' ? parsed.schema : '',
    event_id: eventId,
    rollouts,
    body,
  };
}

import { AckPolicy, DeliverPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ConfigError, type Env } from './env.js';
import { isPermissionDenied, waitFor } from './permission-wait.js';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, METRICS_STREAM, METRICS_SUBJECT_PREFIX } from '@graylane/contracts';

const NANOS_PER_MS = 1_000_000;

/** How long JetStream remembers metric batch ids to drop a re-published batch. */
export const METRICS_DEDUP_WINDOW_MS = 2 * 60_000;
/** How long unconsumed batches wait in the stream, e.g. while analytics or ClickHouse is down. */
export const METRICS_MAX_AGE_MS = 24 * 3_600_000;
/** How long JetStream remembers event ids, so a re-published event is stored once. */
export const EVENTS_DEDUP_WINDOW_MS = 10 * 60_000;
/** How long events are kept. */
export const EVENTS_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** JetStream's largest replication factor. */
export const MAX_JETSTREAM_REPLICAS = 5;

/**
 * `GRAYLANE_JETSTREAM_REPLICAS`: how many servers of a NATS cluster hold each stream and the
 * config bucket (1, the default, for one nats-server; 3 for a cluster). Applies when a stream or
 * the bucket is created; an existing one keeps its replicas (change them with `nats stream edit`).
 */
export function jetstreamReplicasFrom(env: Env): number {
  const raw = env.GRAYLANE_JETSTREAM_REPLICAS;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_JETSTREAM_REPLICAS) {
    throw new ConfigError('GRAYLANE_JETSTREAM_REPLICAS', `expected a whole number from 1 to ${MAX_JETSTREAM_REPLICAS}, got "${raw}"`);
  }
  return value;
}

/** How a stream is created. */
export interface StreamOptions {
  /** Servers holding the stream (GRAYLANE_JETSTREAM_REPLICAS); 1 when absent. */
  readonly replicas?: number;
}

interface StreamSettings {
  name: string;
  subjectPrefix: string;
  dedupWindowMs: number;
  maxAgeMs: number;
  replicas: number;
}

/**
 * Creates a stream if it does not exist yet. Every process that uses a stream calls this, so any
 * may start first; the settings live in this file so all of them ask for the same stream.
 */
async function ensureStream(nc: NatsConnection, settings: StreamSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(settings.name);
    return;
  } catch {
    // not found: create below
  }
  try {
    await jsm.streams.add({
      name: settings.name,
      subjects: [`${settings.subjectPrefix}.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: settings.dedupWindowMs * NANOS_PER_MS,
      max_age: settings.maxAgeMs * NANOS_PER_MS,
      num_replicas: settings.replicas,
    });
  } catch (error) {
    // On a closed bus this role may not create the stream: wait for the role that may.
    if (isPermissionDenied(error)) {
      await waitFor(() => jsm.streams.info(settings.name), isStreamNotFound, () => nc.isClosed());
      return;
    }
    // Another process may have created it between our info and add.
    await jsm.streams.info(settings.name).catch(() => {
      throw error;
    });
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}

/** The stream of metric batches from proxies to analytics. */
export function ensureMetricsStream(nc: NatsConnection, options: StreamOptions = {}): Promise<void> {
  return ensureStream(nc, {
    name: METRICS_STREAM,
    subjectPrefix: METRICS_SUBJECT_PREFIX,
    dedupWindowMs: METRICS_DEDUP_WINDOW_MS,
    maxAgeMs: METRICS_MAX_AGE_MS,
    replicas: options.replicas ?? 1,
  });
}

/** The stream of events (rollbacks, config changes) between the services. */
export function ensureEventsStream(nc: NatsConnection, options: StreamOptions = {}): Promise<void> {
  return ensureStream(nc, {
    name: EVENTS_STREAM,
    subjectPrefix: EVENTS_SUBJECT_PREFIX,
    dedupWindowMs: EVENTS_DEDUP_WINDOW_MS,
    maxAgeMs: EVENTS_MAX_AGE_MS,
    replicas: options.replicas ?? 1,
  });
}

/** A durable, explicitly acked pull consumer on a stream, reading it from the start. */
export interface DurableConsumerSettings {
  name: string;
  filterSubject: string;
  /** How long a message may stay unacked before JetStream redelivers it. */
  ackWaitMs: number;
  maxAckPending?: number;
}

/**
 * Creates the durable consumer if it does not exist yet; replicas of a service all call this and
 * then share the consumer. Returns true when this call created it.
 */
export async function ensureDurableConsumer(nc: NatsConnection, stream: string, settings: DurableConsumerSettings): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.consumers.info(stream, settings.name);
    return false;
  } catch {
    // not found: create below
  }
  try {
    await jsm.consumers.add(stream, {
      durable_name: settings.name,
      ack_policy: AckPolicy.Explicit,
      ack_wait: settings.ackWaitMs * NANOS_PER_MS,
      deliver_policy: DeliverPolicy.All,
      filter_subject: settings.filterSubject,
      ...(settings.maxAckPending === undefined ? {} : { max_ack_pending: settings.maxAckPending }),
    });
    return true;
  } catch (error) {
    // Another replica may have created it between our info and add.
    await jsm.consumers.info(stream, settings.name).catch(() => {
      throw error;
    });
    return false;
  }
}

/**
 * Every NATS subject, stream, bucket and key graylane uses. Versioned in the name: a new
 * contract version gets a new subject beside the old one; a published one is never changed.
 */
import type { CommandVerb } from './commands.js';

/** Prefix of the command subjects; the config service listens on `${COMMAND_SUBJECT_PREFIX}.>`. */
export const COMMAND_SUBJECT_PREFIX = 'graylane.cmd.v1';

/** Subject of one command verb, e.g. `graylane.cmd.v1.weight`. */
export function commandSubject(verb: CommandVerb): string {
  return `${COMMAND_SUBJECT_PREFIX}.${verb}`;
}

/**
 * Prefix of the identity-bound command subjects, `graylane.cmd.v2.<identity>.<verb>`, with the
 * same V1 bodies. NATS does not tell a subscriber who published a message, so the identity is
 * in the subject, and the server's permissions let each identity publish only under its own
 * name (infra/nats, docs/security.md): on a closed bus the config service records that name as
 * the actor. v1 stays for an open bus, where nobody is authenticated anyway.
 */
export const COMMAND_SUBJECT_V2_PREFIX = 'graylane.cmd.v2';

/** Subject of one command verb sent as `identity`, e.g. `graylane.cmd.v2.alice.weight`. */
export function commandSubjectV2(identity: string, verb: CommandVerb): string {
  return `${COMMAND_SUBJECT_V2_PREFIX}.${identity}.${verb}`;
}

/** Queue group shared by config replicas so each command is handled once. */
export const CONFIG_QUEUE_GROUP = 'graylane-config';

/** JetStream KV bucket holding the routing table; the key's revision is the config version. */
export const CONFIG_BUCKET = 'graylane_config';
/** The one key in {@link CONFIG_BUCKET} holding the whole routing table. */
export const ROUTING_TABLE_KEY = 'routing-table';

/**
 * Key in {@link CONFIG_BUCKET} holding the step driver's lease: which config replica advances
 * progressive steps, and until when. Proxies watch only {@link ROUTING_TABLE_KEY}.
 */
export const STEP_LEASE_KEY = 'step-driver-lease';

/** JetStream stream that carries metric batches from proxies to analytics. */
export const METRICS_STREAM = 'GRAYLANE_METRICS';
/** Proxies publish to `${METRICS_SUBJECT_PREFIX}.<proxyId>`. */
export const METRICS_SUBJECT_PREFIX = 'graylane.metrics.v1';
/** Durable consumer name shared by analytics replicas. */
export const METRICS_CONSUMER = 'graylane-analytics';

export function metricsSubject(proxyId: string): string {
  return `${METRICS_SUBJECT_PREFIX}.${proxyId}`;
}

/** Core NATS subject where every proxy announces itself and its applied config version. */
export const PROXY_HEARTBEAT_SUBJECT = 'graylane.proxy.v1.heartbeat';

/** Request/reply subject answered by analytics with a latency and error report. */
export const REPORT_SUBJECT = 'graylane.analytics.v1.report';

/** JetStream stream carrying graylane's events (rollbacks, config changes) durably. */
export const EVENTS_STREAM = 'GRAYLANE_EVENTS';
/** Every event subject starts with this; the events stream captures `${EVENTS_SUBJECT_PREFIX}.>`. */
export const EVENTS_SUBJECT_PREFIX = 'graylane.events.v1';
/** RollbackEventV1, published by analytics on a guardrail breach. */
export const ROLLBACK_SUBJECT = 'graylane.events.v1.rollback';
/** ConfigChangedEventV1, published by the config service after every successful change. */
export const CONFIG_CHANGED_SUBJECT = 'graylane.events.v1.config-changed';
/** Durable consumer of {@link ROLLBACK_SUBJECT} shared by config replicas. */
export const ROLLBACK_CONSUMER = 'graylane-config-rollbacks';

/** GuardrailPauseEventV1, published by analytics when a rollout has too little traffic to judge. */
export const GUARDRAIL_PAUSE_SUBJECT = 'graylane.events.v1.guardrail-pause';

/** Durable consumer of {@link GUARDRAIL_PAUSE_SUBJECT} shared by config replicas. */
export const GUARDRAIL_PAUSE_CONSUMER = 'graylane-config-guardrail-pauses';

import type { TSchema } from '@sinclair/typebox';
import { COMMAND_BODY_FILES, CommandReplyV1 } from './commands.js';
import { MetricBatchV1, ProxyHeartbeatV1 } from './metrics.js';
import { ReportReplyV1, ReportRequestV1 } from './report.js';
import { AnalysisSpecV2, RolloutSpecV1 } from './rollout-spec.js';
import { RoutingTableV1 } from './routing-table.js';
import { ConfigChangedEventV1, RollbackEventV1 } from './events.js';
import { SessionBindingChangedV1 } from './session-binding.js';
import { GuardrailPauseEventV1, ReportReplyV2, VerdictV2 } from './guardrail.js';

/** Every published schema by file name; `schemas/` holds these written out as JSON Schema. */
export const JSON_SCHEMAS: Record<string, TSchema> = {
  'rollout-spec.v1': RolloutSpecV1,
  'routing-table.v1': RoutingTableV1,
  // One file per command body, named in COMMAND_BODIES.
  ...COMMAND_BODY_FILES,
  'command-reply.v1': CommandReplyV1,
  'metric-batch.v1': MetricBatchV1,
  'proxy-heartbeat.v1': ProxyHeartbeatV1,
  'report-request.v1': ReportRequestV1,
  'report-reply.v1': ReportReplyV1,
  'rollback-event.v1': RollbackEventV1,
  'config-changed-event.v1': ConfigChangedEventV1,
  'session-binding-changed.v1': SessionBindingChangedV1,
  'analysis-spec.v2': AnalysisSpecV2,
  'verdict.v2': VerdictV2,
  'report-reply.v2': ReportReplyV2,
  'guardrail-pause-event.v1': GuardrailPauseEventV1,
};

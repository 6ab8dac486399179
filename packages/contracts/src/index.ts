export {
  COMMAND_SUBJECT_PREFIX,
  commandSubject,
  COMMAND_SUBJECT_V2_PREFIX,
  commandSubjectV2,
  CONFIG_QUEUE_GROUP,
  CONFIG_BUCKET,
  ROUTING_TABLE_KEY,
  METRICS_STREAM,
  METRICS_SUBJECT_PREFIX,
  METRICS_CONSUMER,
  metricsSubject,
  PROXY_HEARTBEAT_SUBJECT,
  REPORT_SUBJECT,
  EVENTS_STREAM,
  EVENTS_SUBJECT_PREFIX,
  ROLLBACK_SUBJECT,
  CONFIG_CHANGED_SUBJECT,
  STEP_LEASE_KEY,
  ROLLBACK_CONSUMER,
  GUARDRAIL_PAUSE_SUBJECT,
  GUARDRAIL_PAUSE_CONSUMER,
} from './subjects.js';
export { DURATION_PATTERN, parseDuration } from './duration.js';
export {
  type StickyKeyKind,
  STICKY_KEY_SOURCE_PATTERN,
  STICKY_KEY_SOURCE_FORMS,
  type StickyKeySourceParts,
  parseStickyKeySource,
} from './sticky-key.js';
export {
  WeightPercent,
  StickyKeySource,
  PoolSpecV1,
  MatchConditionV1,
  RuleV1,
  AnalysisSpecV1,
  AnalysisSpecV2,
  StepV1,
  RegionsSpecV1,
  UserListsV1,
  RolloutBodyV1,
  RolloutSpecV1,
} from './rollout-spec.js';
export {
  RolloutState,
  RolloutRecordV1,
  RoutingTableV1,
  emptyRoutingTable,
  FieldChangeV1,
  HistoryEntryV1,
  ProxyStatusV1,
} from './routing-table.js';
export { diffJson, rolloutHistory, type TableVersion } from './rollout-history.js';
export {
  ApplyCommandV1,
  WeightCommandV1,
  GetCommandV1,
  ListCommandV1,
  LifecycleCommandV1,
  HistoryCommandV1,
  RollbackConfigCommandV1,
  StatusCommandV1,
  type CommandBody,
  COMMAND_BODIES,
  type CommandVerb,
  type CommandBodyOf,
  COMMAND_VERBS,
  COMMAND_SCHEMAS,
  ErrorBodyV1,
  CommandReplyV1,
} from './commands.js';
export { ERROR_CODES, ErrorCode, GraylaneError } from './errors.js';
export {
  PoolSide,
  StatusClass,
  EncodedHistogramV1,
  MetricSeriesV1,
  MetricBatchV1,
  ProxyHeartbeatV1,
} from './metrics.js';
export { SideEvidenceV1, BreachKind, RollbackEventV1, ConfigChangedEventV1 } from './events.js';
export { SESSION_BINDING_SUBJECT, SessionBindingChangedV1 } from './session-binding.js';
export { ReportRequestV1, PoolReportV1, ReportV1, ReportReplyV1, VerdictOutcome, VerdictV1 } from './report.js';
export {
  GUARDRAIL_TESTS,
  GuardrailTestName,
  TestEvidenceV1,
  EvidenceSummaryV1,
  VerdictV2,
  GuardrailPauseEventV1,
  ReportV2,
  ReportReplyV2,
} from './guardrail.js';
export { type ValidationIssue, validationIssues, parseWith } from './validate.js';
export { JSON_SCHEMAS } from './json-schemas.js';

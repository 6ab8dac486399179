// The guardrail's pure pieces, for simulations that must judge windows exactly as the service
// does (bench/src/judge.ts): how batches become rows, how the window query groups them, and
// the judge. Imported as `@graylane/analytics/judge`; the service itself starts from main.ts.
export { rowsOfBatches, type BatchRows } from './store/rows.js';
export { poolsOfRows, windowRowsOfBatchRows, type WindowPool } from './store/window-pools.js';
export { sideOf } from './guardrails/guardrail-loop.js';
export { Evidence, GUARDRAIL_DEFAULTS, effectiveRatio, judge, settingsOf, type GuardrailSettings, type Judgement, type SideStats } from './guardrails/judge.js';
export { hypergeometricUpperTail, logGamma } from './guardrails/statistics.js';

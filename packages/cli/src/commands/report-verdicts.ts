import type { TestEvidenceV1, VerdictV1, VerdictV2 } from '@graylane/contracts';
import { formatTable } from '../output.js';

/**
 * The guardrail part of `graylane report`: the newest verdict, what each test saw and where its
 * evidence stands against its threshold, and how much traffic the settings need to judge.
 * Lines to print; none without verdicts.
 */
export function verdictLines(verdicts: ReadonlyArray<VerdictV1 | VerdictV2> | undefined): string[] {
  const newest = verdicts?.[0];
  if (newest === undefined) return [];
  const counts = { pass: 0, fail: 0, inconclusive: 0 };
  for (const verdict of verdicts ?? []) counts[verdict.outcome] += 1;
  const lines = [
    '',
    `guardrail: ${verdicts?.length ?? 0} verdicts (${counts.pass} pass, ${counts.fail} fail, ${counts.inconclusive} inconclusive); newest, window ending ${new Date(newest.window.endMs).toISOString()}:`,
    `  ${newest.outcome.toUpperCase()}${newest.action === 'none' ? '' : ` → ${newest.action}`}: ${newest.reason}`,
  ];
  if (!('schema' in newest)) return lines;
  const { evidence } = newest;
  lines.push(
    `  evidence: ${evidence.windows} windows since ${new Date(evidence.sinceMs).toISOString()}, canary ${newest.canary.requests} / stable ${newest.stable.requests} requests; ` +
      `false-rollback budget ${pct(evidence.falseRollbackBudget)} for the whole rollout`,
    `  traffic: ${evidence.needs}; ${evidence.inconclusiveWindows}/${evidence.inconclusiveLimit} inconclusive windows before ${evidence.onInconclusive}`,
  );
  lines.push(
    formatTable(
      ['TEST', 'THIS WINDOW', 'WINDOW p', 'E-VALUE', 'E NEEDED', 'EFFECT', 'MIN EFFECT', 'BREACHED'],
      newest.tests.map((test) => [
        test.test,
        `${test.canaryMarked}/${test.marked} canary of ${test.canaryRequests}/${test.pooledRequests}${test.thresholdMs === null ? '' : ` >${test.thresholdMs} ms`}`,
        test.windowPValue.toExponential(1),
        num(test.eValue),
        num(test.eThreshold),
        effect(test, test.effect),
        effect(test, test.effectThreshold),
        test.breached ? 'yes' : 'no',
      ]),
    ),
  );
  return lines;
}

function effect(test: TestEvidenceV1, value: number): string {
  return test.test === 'error-rate' ? `${value >= 0 ? '+' : ''}${(value * 100).toFixed(2)} pt` : `${value.toFixed(2)}x`;
}

function num(value: number): string {
  return value >= 1000 || value < 0.01 ? value.toExponential(1) : value.toFixed(2);
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(2)} %`;
}

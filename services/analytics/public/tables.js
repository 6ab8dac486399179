// The rollout page's tables and text: pools, verdicts, steps, history. Text only, never markup.
import { $, ms, num, row } from './common.js';

export function renderPools(report) {
  $('pools').tBodies[0].replaceChildren(...report.pools.map((p) => row(
    [p.pool, p.version, p.requests, p.errors, (p.errorRate * 100).toFixed(2) + ' %',
     ms(p.p50Ms, p.requests), ms(p.p95Ms, p.requests), ms(p.p99Ms, p.requests), ms(p.p999Ms, p.requests)],
    ['', '', 'num', 'num', 'num', 'num', 'num', 'num', 'num'])));
}

/** One verdict's evidence as lines, for a row's or a marker's tooltip. */
export function evidenceText(v) {
  return new Date(v.window.startMs).toISOString() + ' – ' + new Date(v.window.endMs).toISOString() + ', config version ' + v.configVersion +
    (v.tests ? '\n' + v.tests.map((t) => t.test + ': ' + t.statistic + ', window p=' + t.windowPValue.toExponential(1) + ', e=' + num(t.eValue) + ' of ' + num(t.eThreshold)).join('\n') : '') +
    (v.evidence ? '\ntraffic: ' + v.evidence.needs : '');
}

export function renderVerdicts(report) {
  const verdicts = report.verdicts || [];
  $('judging').textContent = judging(verdicts[0]);
  $('verdicts').tBodies[0].replaceChildren(...verdicts.slice(0, 30).map((v) => {
    const tr = row(
      [new Date(v.window.endMs).toLocaleTimeString(), v.outcome, v.action, ms(v.stable.p99Ms, v.stable.requests),
       ms(v.canary.p99Ms, v.canary.requests), v.stable.requests + ' / ' + v.canary.requests, v.reason],
      ['', v.outcome, v.action === 'rollback' ? 'rollback' : '', 'num', 'num', 'num', '']);
    tr.title = evidenceText(v);
    return tr;
  }));
}

// The newest verdict's evidence, one line: each test against its threshold, and the traffic the
// settings need.
function judging(v) {
  if (!v || !v.evidence) return '';
  const tests = v.tests.map((t) => t.test + ' e=' + num(t.eValue) + '/' + num(t.eThreshold) + ', effect ' +
    (t.test === 'error-rate' ? (t.effect * 100).toFixed(2) + ' pt (min ' + (t.effectThreshold * 100).toFixed(2) + ')' : t.effect.toFixed(2) + 'x (min ' + t.effectThreshold.toFixed(2) + 'x)'));
  return 'Evidence: ' + v.evidence.windows + ' windows, budget ' + (v.evidence.falseRollbackBudget * 100).toFixed(2) + ' % per rollout. ' +
    tests.join('; ') + '. Traffic: ' + v.evidence.needs + '.';
}

export function renderState(timeline) {
  if (!timeline) { $('state').textContent = ''; return; }
  const c = timeline.current;
  $('state').textContent = 'State ' + c.state + ', canary weight ' + c.weight + ' %, config version ' + timeline.configVersion + '.';
}

export function renderSteps(timeline) {
  const plan = timeline?.current;
  if (!plan || plan.steps.length === 0) {
    const none = document.createElement('span');
    none.className = 'muted';
    none.textContent = 'No step plan: the weight changes only by command.';
    $('steps').replaceChildren(none);
    return;
  }
  $('steps').replaceChildren(...plan.steps.map((step, i) => {
    const box = document.createElement('span');
    const done = plan.state === 'promoted' || (plan.index !== null && i < plan.index);
    box.className = 'step' + (plan.index === i ? ' current' : done ? ' done' : '');
    box.textContent = (i + 1) + '. ' + step.weight + ' %' + (step.pause ? ' for ' + step.pause : '');
    if (plan.index === i && plan.startedAt) box.title = 'since ' + plan.startedAt;
    return box;
  }));
}

/** A field change as `path: from → to`, values as JSON. */
function changeText(c) {
  const show = (v) => (v === undefined ? '∅' : JSON.stringify(v));
  return c.path + ': ' + show(c.from) + ' → ' + show(c.to);
}

export function renderHistory(timeline) {
  $('history').tBodies[0].replaceChildren(...(timeline?.history ?? []).slice(0, 50).map((h) => {
    const tr = row([h.version, new Date(h.at).toLocaleTimeString(), h.actor, h.command ?? '', h.state, h.reason ?? '', h.changes.map(changeText).join('\n')],
      ['num', '', '', h.command === 'rollback' ? 'rollback' : '', h.state, '', 'changes']);
    tr.title = h.at;
    return tr;
  }));
}

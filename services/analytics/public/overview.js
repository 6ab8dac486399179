// The rollouts overview: one row per rollout of the current routing table, refreshed every 2 s.
import { $, getJson, ms, percent, pollEvery, row } from './common.js';

function stepText(step) {
  if (step.steps.length === 0) return '–';
  return step.index === null ? step.steps.length + ' steps' : 'step ' + (step.index + 1) + ' of ' + step.steps.length;
}

function rolloutRow(r) {
  const verdict = r.lastVerdict;
  const tr = row(
    ['', r.state, r.weight + ' %', stepText(r.step), r.configVersion,
     ms(r.stable?.p99Ms ?? null, r.stable?.requests ?? 0), ms(r.canary?.p99Ms ?? null, r.canary?.requests ?? 0),
     percent(r.stable?.errorRate), percent(r.canary?.errorRate),
     verdict ? verdict.outcome + (verdict.action !== 'none' ? ' → ' + verdict.action : '') : '–',
     r.updatedBy + (r.reason ? ': ' + r.reason : '')],
    ['', r.state, 'num', '', 'num', 'num', 'num', 'num', 'num', verdict ? verdict.outcome : '', '']);
  tr.dataset.rollout = r.name;
  // The link keeps the fragment, so a read token given as #token= follows the operator.
  const link = document.createElement('a');
  link.href = 'rollout?' + new URLSearchParams({ rollout: r.name }) + location.hash;
  link.textContent = r.name;
  tr.firstChild.appendChild(link);
  if (verdict) tr.children[9].title = verdict.reason + ' (' + verdict.evaluatedAt + ')';
  return tr;
}

pollEvery(2000, async () => {
  try {
    const overview = await getJson('api/v1/overview');
    $('rollouts').tBodies[0].replaceChildren(...overview.rollouts.map(rolloutRow));
    $('window-note').textContent = 'P99 and error rates over the last ' + overview.sinceSeconds + ' s; config version ' + overview.configVersion + '.';
    $('status').textContent = (overview.rollouts.length === 0 ? 'no rollouts yet · ' : '') + 'updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    $('status').textContent = 'error: ' + error.message;
  }
});

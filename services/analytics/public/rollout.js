// One rollout's page. The next poll is scheduled when the previous one finished, and a refresh
// that a newer one (another rollout, another window) overtook does not render: a slow answer for
// rollout A must not land under rollout B's name. `?rollout=` picks the rollout shown first; once
// the user chooses another, the address is updated instead of pulling the choice back.
import { installActions, refreshProxies } from './actions.js';
import { renderCharts } from './charts.js';
import { $, getJson, pollEvery } from './common.js';
import { renderHistory, renderPools, renderState, renderSteps, renderVerdicts } from './tables.js';

const address = new URLSearchParams(location.search);
let wanted = address.get('rollout');
if ([...$('since').options].some((o) => o.value === address.get('since'))) $('since').value = address.get('since');
$('home').href = './' + location.hash;
let generation = 0;

function showRollouts(names) {
  const select = $('rollout');
  const shown = [...select.options].map((o) => o.value);
  // Rebuilt only when the list changed, so an open drop-down is not reset.
  if (shown.join('\n') !== names.join('\n')) {
    const kept = select.value;
    select.replaceChildren(...names.map((name) => { const o = document.createElement('option'); o.value = name; o.textContent = name; return o; }));
    if (names.includes(kept)) select.value = kept;
  }
  if (wanted !== null && names.includes(wanted)) { select.value = wanted; wanted = null; }
}

function remember() {
  wanted = null;
  history.replaceState(null, '', '?' + new URLSearchParams({ rollout: $('rollout').value, since: $('since').value }) + location.hash);
}

/** The timeline is absent for a rollout the kept config versions do not know. */
async function timelineOf(name) {
  try {
    return await getJson('api/v1/rollouts/' + encodeURIComponent(name) + '/timeline');
  } catch {
    return undefined;
  }
}

async function refresh() {
  const mine = ++generation;
  try {
    const list = await getJson('api/v1/rollouts');
    if (mine !== generation) return;
    showRollouts(list.rollouts);
    const name = $('rollout').value;
    if (!name) {
      $('pools').tBodies[0].replaceChildren();
      $('verdicts').tBodies[0].replaceChildren();
      $('status').textContent = 'no rollouts yet';
      return;
    }
    const since = $('since').value;
    const query = '?since=' + encodeURIComponent(since);
    const path = encodeURIComponent(name);
    const [report, series, timeline] = await Promise.all([
      getJson('api/v1/reports/' + path + query), getJson('api/v1/series/' + path + query), timelineOf(name),
    ]);
    if (mine !== generation) return;
    document.title = 'graylane · ' + name;
    renderPools(report);
    renderVerdicts(report);
    renderState(timeline);
    renderSteps(timeline);
    renderHistory(timeline);
    renderCharts(series, timeline, report.verdicts || []);
    const updated = 'updated ' + new Date().toLocaleTimeString();
    $('status').textContent = report.pools.length === 0 ? 'no traffic for ' + name + ' in the last ' + since + ' · ' + updated : updated;
  } catch (error) {
    if (mine === generation) $('status').textContent = 'error: ' + error.message;
  }
}

const now = pollEvery(1500, refresh);
// Proxies change slowly and need config's status: every 5 s is plenty.
setInterval(() => void refreshProxies(), 5000);
void refreshProxies();
installActions(() => $('rollout').value, now);
$('rollout').addEventListener('change', () => { remember(); void refresh(); });
$('since').addEventListener('change', () => { remember(); void refresh(); });

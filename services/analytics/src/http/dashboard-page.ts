// The dashboard is one static page: no build step, no framework, no data in the HTML itself.
// It polls the same JSON APIs a user can call, and writes every value with textContent so that
// a rollout or version name can never inject markup. It is tested in Chromium
// (dashboard.browser.int.test.ts).
//
// Why the script is shaped as it is:
// - The next poll is scheduled when the previous one finished, and a refresh that a newer one
//   (another rollout, another window) overtook does not render: a slow answer for rollout A must
//   not land under rollout B's name.
// - `?rollout=` picks the first rollout shown; once the user chooses another, the address is
//   updated instead of pulling the choice back on the next poll.
// - The rollout list is rebuilt only when it changed, so an open drop-down is not reset.
// - A side without requests has no latency: it shows "–", not a P99 of 0.
// - An empty icon, or every browser asks for /favicon.ico and logs a 404.

/** The HTML of `GET /`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>graylane analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; min-width: 40rem; }
  th, td { border: 1px solid #d5d9e0; padding: .3rem .6rem; text-align: left; }
  th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
  td:first-child { white-space: nowrap; }
  .pass { color: #1a7f37; } .fail, .rollback { color: #c62828; font-weight: 600; } .inconclusive { color: #8a6d00; }
  #status { color: #5b6475; margin-left: 1rem; }
  select, input { font: inherit; }
</style>
</head>
<body>
<h1>graylane analytics</h1>
<label>Rollout <select id="rollout"></select></label>
<label style="margin-left:1rem">Window <select id="since"><option>5m</option><option selected>15m</option><option>1h</option><option>24h</option></select></label>
<span id="status">loading…</span>
<h2>Versions</h2>
<table id="pools"><thead><tr><th>pool</th><th>version</th><th class="num">requests</th><th class="num">errors</th><th class="num">error rate</th><th class="num">P50 ms</th><th class="num">P95 ms</th><th class="num">P99 ms</th><th class="num">P99.9 ms</th></tr></thead><tbody></tbody></table>
<h2>Guardrail verdicts</h2>
<p id="judging"></p>
<table id="verdicts"><thead><tr><th>window end</th><th>outcome</th><th>action</th><th class="num">stable P99 ms</th><th class="num">canary P99 ms</th><th class="num">stable / canary requests</th><th>reason</th></tr></thead><tbody></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
const address = new URLSearchParams(location.search);
// The rollout the address asks for, until it is shown or the user picks another.
let wanted = address.get('rollout');
if ([...$('since').options].some((o) => o.value === address.get('since'))) $('since').value = address.get('since');
let generation = 0;
let timer;

function ms(value, requests) { return requests > 0 ? value.toFixed(2) : '–'; }
function row(cells, classes) {
  const tr = document.createElement('tr');
  cells.forEach((value, i) => {
    const td = document.createElement('td');
    td.textContent = String(value);
    if (classes[i]) td.className = classes[i];
    tr.appendChild(td);
  });
  return tr;
}
// With GRAYLANE_ANALYTICS_READ_TOKEN set, open the page as /#token=...: a fragment never reaches
// the server or its logs, and the token goes out only as an Authorization header.
const readToken = new URLSearchParams(location.hash.slice(1)).get('token');
async function getJson(path) {
  const response = await fetch(path, readToken ? { headers: { authorization: 'Bearer ' + readToken } } : undefined);
  const body = await response.json().catch(() => undefined);
  if (!response.ok || body === undefined) throw new Error(body?.error?.message || path + ': HTTP ' + response.status);
  return body;
}
function showRollouts(names) {
  const select = $('rollout');
  const shown = [...select.options].map((o) => o.value);
  if (shown.join('\\n') !== names.join('\\n')) {
    const kept = select.value;
    select.replaceChildren(...names.map((name) => { const o = document.createElement('option'); o.value = name; o.textContent = name; return o; }));
    if (names.includes(kept)) select.value = kept;
  }
  if (wanted !== null && names.includes(wanted)) { select.value = wanted; wanted = null; }
}
function remember() {
  wanted = null;
  const next = new URLSearchParams({ rollout: $('rollout').value, since: $('since').value });
  history.replaceState(null, '', '?' + next);
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
    const report = await getJson('api/v1/reports/' + encodeURIComponent(name) + '?since=' + encodeURIComponent(since));
    if (mine !== generation) return;
    $('pools').tBodies[0].replaceChildren(...report.pools.map((p) => row(
      [p.pool, p.version, p.requests, p.errors, (p.errorRate * 100).toFixed(2) + ' %',
       ms(p.p50Ms, p.requests), ms(p.p95Ms, p.requests), ms(p.p99Ms, p.requests), ms(p.p999Ms, p.requests)],
      ['', '', 'num', 'num', 'num', 'num', 'num', 'num', 'num'])));
    $('judging').textContent = judging((report.verdicts || [])[0]);
    $('verdicts').tBodies[0].replaceChildren(...(report.verdicts || []).slice(0, 30).map((v) => {
      const tr = row(
        [new Date(v.window.endMs).toLocaleTimeString(), v.outcome, v.action, ms(v.stable.p99Ms, v.stable.requests),
         ms(v.canary.p99Ms, v.canary.requests), v.stable.requests + ' / ' + v.canary.requests, v.reason],
        ['', v.outcome, v.action === 'rollback' ? 'rollback' : '', 'num', 'num', 'num', '']);
      tr.title = new Date(v.window.startMs).toISOString() + ' – ' + new Date(v.window.endMs).toISOString() + ', config version ' + v.configVersion +
        (v.tests ? '\\n' + v.tests.map((t) => t.test + ': ' + t.statistic + ', window p=' + t.windowPValue.toExponential(1) + ', e=' + num(t.eValue) + ' of ' + num(t.eThreshold)).join('\\n') : '');
      return tr;
    }));
    const updated = 'updated ' + new Date().toLocaleTimeString();
    $('status').textContent = report.pools.length === 0 ? 'no traffic for ' + name + ' in the last ' + since + ' · ' + updated : updated;
  } catch (error) {
    if (mine === generation) $('status').textContent = 'error: ' + error.message;
  }
}
// The newest verdict's evidence, one line: each test against its threshold, and the traffic the
// settings need; a row's tooltip has the same per verdict.
function judging(v) {
  if (!v || !v.evidence) return '';
  const tests = v.tests.map((t) => t.test + ' e=' + num(t.eValue) + '/' + num(t.eThreshold) + ', effect ' +
    (t.test === 'error-rate' ? (t.effect * 100).toFixed(2) + ' pt (min ' + (t.effectThreshold * 100).toFixed(2) + ')' : t.effect.toFixed(2) + 'x (min ' + t.effectThreshold.toFixed(2) + 'x)'));
  return 'Evidence: ' + v.evidence.windows + ' windows, budget ' + (v.evidence.falseRollbackBudget * 100).toFixed(2) + ' % per rollout. ' +
    tests.join('; ') + '. Traffic: ' + v.evidence.needs + '.';
}
function num(x) {
  return x >= 1000 || x < 0.01 ? x.toExponential(1) : x.toFixed(2);
}
async function poll() {
  await refresh();
  clearTimeout(timer);
  timer = setTimeout(poll, 2000);
}
$('rollout').addEventListener('change', () => { remember(); void refresh(); });
$('since').addEventListener('change', () => { remember(); void refresh(); });
void poll();
</script>
</body>
</html>
`;

// The dashboard is one static page: no build step, no framework, no data in the HTML itself.
// It polls the same JSON APIs a user can call, and writes every value with textContent so that
// a rollout or version name can never inject markup.

/** The HTML of `GET /`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>graylane analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2330; background: #f7f8fa; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
  table { border-collapse: collapse; background: #fff; min-width: 40rem; }
  th, td { border: 1px solid #d5d9e0; padding: .3rem .6rem; text-align: right; }
  th:first-child, td:first-child, td.text { text-align: left; }
  .pass { color: #1a7f37; } .fail { color: #c62828; font-weight: 600; } .inconclusive { color: #8a6d00; }
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
<table id="pools"><thead><tr><th>pool</th><th>version</th><th>requests</th><th>errors</th><th>error rate</th><th>P50 ms</th><th>P95 ms</th><th>P99 ms</th><th>P99.9 ms</th></tr></thead><tbody></tbody></table>
<h2>Guardrail verdicts</h2>
<table id="verdicts"><thead><tr><th>window end</th><th>outcome</th><th>action</th><th>stable P99 ms</th><th>canary P99 ms</th><th>stable / canary requests</th><th>reason</th></tr></thead><tbody></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
function row(cells, classes = []) {
  const tr = document.createElement('tr');
  cells.forEach((value, i) => {
    const td = document.createElement('td');
    td.textContent = String(value);
    if (classes[i]) td.className = classes[i];
    tr.appendChild(td);
  });
  return tr;
}
async function loadRollouts() {
  const response = await fetch('api/v1/rollouts');
  const body = await response.json();
  const select = $('rollout');
  const chosen = new URLSearchParams(location.search).get('rollout') || select.value;
  select.replaceChildren(...body.rollouts.map((name) => { const o = document.createElement('option'); o.textContent = name; return o; }));
  if (body.rollouts.includes(chosen)) select.value = chosen;
}
async function refresh() {
  try {
    await loadRollouts();
    const name = $('rollout').value;
    if (!name) { $('status').textContent = 'no rollouts yet'; return; }
    const response = await fetch('api/v1/reports/' + encodeURIComponent(name) + '?since=' + $('since').value);
    const report = await response.json();
    if (!response.ok) throw new Error(report.error?.message || response.statusText);
    $('pools').tBodies[0].replaceChildren(...report.pools.map((p) => row(
      [p.pool, p.version, p.requests, p.errors, (p.errorRate * 100).toFixed(2) + ' %', p.p50Ms, p.p95Ms, p.p99Ms, p.p999Ms], ['', 'text'])));
    $('verdicts').tBodies[0].replaceChildren(...(report.verdicts || []).slice(0, 30).map((v) => row(
      [new Date(v.window.endMs).toLocaleTimeString(), v.outcome, v.action, v.stable.p99Ms, v.canary.p99Ms,
       v.stable.requests + ' / ' + v.canary.requests, v.reason], ['', v.outcome, 'text', '', '', '', 'text'])));
    $('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    $('status').textContent = 'error: ' + error.message;
  }
}
$('rollout').addEventListener('change', refresh);
$('since').addEventListener('change', refresh);
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;

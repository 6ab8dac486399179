// The rollout page's charts (uPlot, served by the analytics service): stable and canary on the
// same axes, and markers for config changes, verdicts and rollbacks laid over each plot as
// elements, so hovering one shows who, why and the evidence in its tooltip.
/* global uPlot */
import { evidenceText } from './tables.js';

const STABLE = '#2563eb';
const CANARY = '#ea580c';
const WIDTH = 560;
const HEIGHT = 220;

function line(label, stroke, dash, width = 1) {
  return { label, stroke, width, dash, spanGaps: false, points: { show: false } };
}

const LAYOUTS = {
  latency: [line('stable P50', STABLE, [2, 3]), line('stable P95', STABLE, [6, 3]), line('stable P99', STABLE, undefined, 2),
            line('canary P50', CANARY, [2, 3]), line('canary P95', CANARY, [6, 3]), line('canary P99', CANARY, undefined, 2)],
  rps: [line('stable', STABLE, undefined, 2), line('canary', CANARY, undefined, 2)],
  errors: [line('stable', STABLE, undefined, 2), line('canary', CANARY, undefined, 2)],
  weight: [{ ...line('canary weight', CANARY, undefined, 2), paths: uPlot.paths.stepped({ align: 1 }) }],
};

/** The charts by name; the browser test reads their data to compare it with the series API. */
const charts = {};
window.graylaneCharts = charts;
// The markers to lay over the plots. Drawn from uPlot's draw hook: scale changes apply on its
// next redraw, so positions computed right after setScale would use the old range.
let marks = [];

function chart(name, data) {
  if (!charts[name]) {
    charts[name] = new uPlot({
      width: WIDTH,
      height: HEIGHT,
      series: [{}, ...LAYOUTS[name]],
      // From zero, and at least 0–1 so that a flat zero line (no errors) gets readable ticks.
      scales: name === 'weight' ? { y: { range: [0, 100] } } : { y: { range: (u, min, max) => [0, Math.max(max ?? 0, 1) * 1.1] } },
      axes: [{}, { size: 50 }],
      hooks: { draw: [(u) => drawMarkers(u, marks)] },
    }, data, document.getElementById('chart-' + name));
  } else {
    charts[name].setData(data, true);
  }
  return charts[name];
}

function poolOf(series, pool, field, scale = 1) {
  const found = series.pools.find((p) => p.pool === pool);
  return found ? found[field].map((v) => (v === null ? null : v * scale)) : series.times.map(() => null);
}

/** The weight as steps over the window: the value in force at its start, each change, and now. */
function weightData(weights, fromS, toS) {
  const xs = [];
  const ys = [];
  let before = null;
  for (const w of weights) {
    const at = w.atMs / 1000;
    if (at <= fromS) { before = w.weight; continue; }
    if (at > toS) break;
    if (xs.length === 0 && before !== null) { xs.push(fromS); ys.push(before); }
    xs.push(at);
    ys.push(w.weight);
  }
  if (xs.length === 0 && before !== null) { xs.push(fromS); ys.push(before); }
  if (ys.length > 0) { xs.push(toS); ys.push(ys[ys.length - 1]); }
  return [xs, ys];
}

/** Markers within the window: config changes from the history, verdicts and their rollbacks. */
function markersOf(timeline, verdicts) {
  const found = [];
  for (const h of timeline?.history ?? []) {
    const rollback = h.command === 'rollback';
    found.push({
      atS: Date.parse(h.at) / 1000,
      kind: rollback ? 'rollback config' : 'config',
      title: 'config version ' + h.version + ': ' + (h.command ?? 'change') + ' by ' + h.actor + (h.reason ? '\nwhy: ' + h.reason : '') +
        (h.changes.length ? '\n' + h.changes.map((c) => c.path + ' → ' + JSON.stringify(c.to)).join('\n') : ''),
    });
  }
  for (const v of verdicts) {
    found.push({
      atS: v.window.endMs / 1000,
      kind: 'verdict ' + v.outcome + (v.action === 'rollback' ? ' rollback' : ''),
      title: v.outcome + (v.action !== 'none' ? ' → ' + v.action : '') + ': ' + v.reason + '\n' + evidenceText(v),
    });
  }
  return found;
}

function drawMarkers(u, list) {
  const over = u.over;
  over.querySelectorAll('.marker').forEach((m) => m.remove());
  const [min, max] = [u.scales.x.min, u.scales.x.max];
  for (const mark of list) {
    if (mark.atS < min || mark.atS > max) continue;
    const el = document.createElement('div');
    el.className = 'marker ' + mark.kind;
    el.style.left = u.valToPos(mark.atS, 'x') + 'px';
    el.title = mark.title;
    el.dataset.at = String(mark.atS);
    over.appendChild(el);
  }
}

/** Draws or updates every chart for one window of one rollout. */
export function renderCharts(series, timeline, verdicts) {
  const toS = Date.parse(series.generatedAt) / 1000;
  const fromS = toS - series.sinceSeconds;
  const t = series.times;
  marks = markersOf(timeline, verdicts);
  const drawn = [
    chart('latency', [t, ...['stable', 'canary'].flatMap((pool) => ['p50Ms', 'p95Ms', 'p99Ms'].map((f) => poolOf(series, pool, f)))]),
    chart('rps', [t, poolOf(series, 'stable', 'rps'), poolOf(series, 'canary', 'rps')]),
    chart('errors', [t, poolOf(series, 'stable', 'errorRate', 100), poolOf(series, 'canary', 'errorRate', 100)]),
    chart('weight', weightData(timeline?.weights ?? [], fromS, toS)),
  ];
  for (const u of drawn) u.setScale('x', { min: fromS, max: toS });
}

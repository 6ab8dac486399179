// Shared by the dashboard's pages: reading the APIs, and writing values as text only, so that a
// rollout or version name can never inject markup.
export const $ = (id) => document.getElementById(id);

// With GRAYLANE_ANALYTICS_READ_TOKEN set, open the page as /#token=...: a fragment never reaches
// the server or its logs, and the token goes out only as an Authorization header.
export const readToken = new URLSearchParams(location.hash.slice(1)).get('token');

/** GET a JSON API of this origin; throws with the API's own error message. */
export async function getJson(path) {
  const response = await fetch(path, readToken ? { headers: { authorization: 'Bearer ' + readToken } } : undefined);
  const body = await response.json().catch(() => undefined);
  if (!response.ok || body === undefined) throw new Error(body?.error?.message || path + ': HTTP ' + response.status);
  return body;
}

/** A table row of text cells; `classes[i]` is the class of cell i. */
export function row(cells, classes = []) {
  const tr = document.createElement('tr');
  cells.forEach((value, i) => {
    const td = document.createElement('td');
    td.textContent = String(value);
    if (classes[i]) td.className = classes[i];
    tr.appendChild(td);
  });
  return tr;
}

/** Milliseconds with two decimals, or a dash for a side without requests. */
export function ms(value, requests) { return requests > 0 && value !== null ? value.toFixed(2) : '–'; }
export function percent(rate) { return rate === null || rate === undefined ? '–' : (rate * 100).toFixed(2) + ' %'; }
export function num(x) { return x >= 1000 || x < 0.01 ? x.toExponential(1) : x.toFixed(2); }

/** Runs `refresh` now and again `everyMs` after each run ends, so slow answers never pile up. */
export function pollEvery(everyMs, refresh) {
  let timer;
  const loop = async () => {
    await refresh();
    clearTimeout(timer);
    timer = setTimeout(loop, everyMs);
  };
  void loop();
  return () => { clearTimeout(timer); void refresh(); };
}

// Weight, pause, resume, promote and abort, relayed by the analytics service to the config
// service with the operator's own config API token. Read-only until the operator signs in; the
// token stays in this tab's sessionStorage (gone when the tab closes) and leaves only as a bearer
// header to this origin. Whether it may act is config's decision, shown as config says it.
import { $, row } from './common.js';

const KEY = 'graylane.configToken';
const token = () => sessionStorage.getItem(KEY);
let currentRollout = () => '';
let onDone = () => {};

function show(text, ok) {
  $('action-result').textContent = text;
  $('action-result').className = ok ? 'ok' : 'error';
}

async function relay(verb, body) {
  const response = await fetch('api/v1/actions/' + verb, {
    method: 'POST',
    // Signed out, no header at all: the server refuses, and the page shows its reason.
    headers: token() === null ? { 'content-type': 'application/json' } : { authorization: 'Bearer ' + token(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => undefined);
  if (!response.ok || answer === undefined || answer.ok === false) {
    const error = answer?.error;
    throw new Error(error ? error.code + ': ' + error.message : 'HTTP ' + response.status);
  }
  return answer;
}

async function act(verb) {
  const name = currentRollout();
  const body = { name, reason: 'from the dashboard' };
  if (verb === 'weight') body.weight = Number($('weight').value);
  show(verb + ' ' + name + '…', true);
  try {
    const answer = await relay(verb, body);
    show(verb + ' ' + name + ': done, config version ' + answer.version, true);
    onDone();
  } catch (error) {
    show(verb + ' ' + name + ' refused: ' + error.message, false);
  }
}

function renderSignedIn() {
  const signedIn = token() !== null;
  $('signed-in').hidden = !signedIn;
  $('signed-out').hidden = signedIn;
  for (const button of document.querySelectorAll('#actions button[data-verb]')) {
    // Left clickable on purpose: the refusal comes from the server, which is what protects rollouts.
    button.classList.toggle('locked', !signedIn);
    button.title = signedIn ? '' : 'read-only: sign in with a config API token first';
  }
}

/** The live proxies and the config version each applies, from config's status (needs the token). */
export async function refreshProxies() {
  if (token() === null) {
    $('proxies').tBodies[0].replaceChildren();
    $('proxies-note').hidden = false;
    return;
  }
  try {
    const status = await relay('status', {});
    $('proxies').tBodies[0].replaceChildren(...(status.proxies ?? []).map((p) =>
      row([p.proxyId, p.configVersion, new Date(p.lastSeen).toLocaleTimeString()], ['', 'num', ''])));
    $('proxies-note').textContent = 'Config version ' + status.version + '.';
  } catch (error) {
    $('proxies-note').textContent = 'Proxies: ' + error.message;
  }
  $('proxies-note').hidden = false;
}

/** Wires the buttons; `rollout()` names the rollout shown, `refresh()` redraws after an action. */
export function installActions(rollout, refresh) {
  currentRollout = rollout;
  onDone = refresh;
  $('sign-in').addEventListener('click', () => {
    const value = $('token').value.trim();
    if (value === '') return;
    sessionStorage.setItem(KEY, value);
    $('token').value = '';
    renderSignedIn();
    void refreshProxies();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY);
    renderSignedIn();
    void refreshProxies();
  });
  for (const button of document.querySelectorAll('#actions button[data-verb]')) {
    button.addEventListener('click', () => void act(button.dataset.verb));
  }
  renderSignedIn();
}

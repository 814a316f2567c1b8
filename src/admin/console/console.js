// The console's entry: sign-in (token in session storage only), who am I, tabs, notices. Views live in view-*.js.
import { ApiError, createApi } from './api.js';
import { badge, fill, h } from './dom.js';
import { createAuditView } from './view-audit.js';
import { createQaView } from './view-qa.js';
import { createRolloutView } from './view-rollout.js';
import { createSreView } from './view-sre.js';

const TOKEN_KEY = 'gateway-console-token';
// The admin API is served next to the page; a proxy may mount both under a prefix.
const BASE = location.pathname.replace(/\/console\/?$/, '');

const VIEWS = [
  { id: 'rollout', label: 'Rollout', create: createRolloutView },
  { id: 'qa', label: 'QA diffs', create: createQaView },
  { id: 'sre', label: 'SRE', create: createSreView },
  { id: 'audit', label: 'Audit log', create: createAuditView },
];
/** The view each role lands on. Every role may read every view; controls follow the permissions. */
const HOME = { viewer: 'rollout', qa: 'qa', 'migration-lead': 'rollout', sre: 'sre', admin: 'rollout' };

const $ = (id) => document.getElementById(id);
let session = null;

function notify(text, tone = 'ok') {
  const box = $('notice');
  const dismiss = h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss' }, '×');
  fill(box, h('span', {}, text), dismiss);
  box.className = `notice ${tone}`;
  box.hidden = false;
  dismiss.addEventListener('click', () => {
    box.hidden = true;
  });
  if (tone === 'ok') {
    const shown = box.firstChild;
    setTimeout(() => {
      if (box.firstChild === shown) box.hidden = true;
    }, 6000);
  }
}

function showLogin(message) {
  $('login').hidden = false;
  $('token').value = '';
  const err = $('login-error');
  err.hidden = !message;
  fill(err, message ?? '');
  $('token').focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (session) {
    for (const v of session.views.values()) v.destroy?.();
    for (const v of session.views.values()) v.el.remove();
    session = null;
  }
  window.removeEventListener('hashchange', route);
  $('tabs').hidden = true;
  $('who').hidden = true;
  fill($('tabs'));
  fill($('who'));
  $('notice').hidden = true;
  if (location.hash) history.replaceState(null, '', location.pathname);
  showLogin(message);
}

function route() {
  if (!session) return;
  const wanted = location.hash.slice(1);
  const id = session.views.has(wanted) ? wanted : (HOME[session.who.role] ?? 'rollout');
  for (const [vid, view] of session.views) {
    const on = vid === id;
    if (on !== !view.el.hidden) {
      view.el.hidden = !on;
      if (on) view.show();
      else view.hide?.();
    }
  }
  for (const a of $('tabs').querySelectorAll('a')) {
    if (a.dataset.view === id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function startSession(token, who) {
  const api = createApi(BASE, token, () => signOut('Your token is no longer accepted (401). Sign in again.'));
  const can = (permission) => who.permissions.includes(permission);
  const ctx = { api, who, can, notify };
  const views = new Map();
  for (const v of VIEWS) {
    const view = v.create(ctx);
    view.el.hidden = true;
    view.el.classList.add('view');
    view.el.dataset.view = v.id;
    views.set(v.id, view);
    $('main').append(view.el);
  }
  session = { who, views };
  $('login').hidden = true;
  fill(
    $('tabs'),
    VIEWS.map((v) =>
      h(
        'a',
        { href: `#${v.id}`, dataset: { view: v.id } },
        v.label,
        HOME[who.role] === v.id ? h('span', { class: 'home-dot', title: 'your home view' }) : null,
      ),
    ),
  );
  $('tabs').hidden = false;
  const signOutButton = h('button', { type: 'button', id: 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', () => signOut('Signed out. The token was removed from this tab.'));
  fill(
    $('who'),
    h('span', { class: 'who-name', title: 'signed in as' }, who.name),
    badge(who.role, 'info', `permissions: ${who.permissions.join(', ')}`),
    signOutButton,
  );
  $('who').hidden = false;
  window.addEventListener('hashchange', route);
  route();
}

async function signIn(token, fromStorage) {
  const api = createApi(BASE, token, () => {});
  try {
    const who = await api.get('/admin/whoami');
    sessionStorage.setItem(TOKEN_KEY, token);
    startSession(token, who);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin(
        fromStorage ? 'Your saved token is no longer accepted. Sign in again.' : 'That token was not accepted (401).',
      );
    } else {
      showLogin(err instanceof ApiError ? err.describe() : String(err));
    }
  }
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  if (token) void signIn(token, false);
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  $('login').hidden = true;
  void signIn(saved, true);
} else {
  showLogin();
}

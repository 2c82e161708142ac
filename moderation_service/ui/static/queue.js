// The queue page: claim a batch, decide with the keyboard (j/k, a/r/s, x, ?) or the buttons, keep the
// leases alive while the comments are on screen, give them back when leaving or idle.
import { api, ApiError, format, itemPath } from './api.js';
import { CardRenderer } from './cards.js';

const config = JSON.parse(document.getElementById('moderate-config').textContent);
const T = config.strings;
const pluralRules = new Intl.PluralRules(config.lang);
const t = (key, values) => format(T[key] ?? key, values);
const tn = (key, n, values = {}) => t(`${key}_${pluralRules.select(n) === 'one' ? 'one' : 'other'}`, { n, ...values });

const $ = (id) => document.getElementById(id);
const view = {
  cards: $('cards'),
  status: $('status'),
  alert: $('alert'),
  alertSignIn: $('alert-sign-in'),
  alertDismiss: $('alert-dismiss'),
  bulkbar: $('bulkbar'),
  selectionCount: $('selection-count'),
  empty: $('empty'),
  depth: $('depth'),
  help: $('help'),
};
const renderer = new CardRenderer($('card-template'), T, config.lang);
// Leases are renewed once a third of them has passed, checked often enough for short leases too.
const RENEW_CHECK_MS = Math.min(5000, (config.lease_seconds * 1000) / 6);
const RECLAIMABLE = new Set(['lease_expired', 'not_claimed']);

// id -> { item, root, selected, busy, renewing, renewedAt }
const items = new Map();
const state = { current: null, loading: false, paused: false, leaving: false, emptyTimer: null, lastActivity: Date.now(), cardCount: 0 };

// ------------------------------------------------------------------ messages

function announce(text) {
  view.status.textContent = '';
  // a fresh text node, so that the same message twice is announced twice
  requestAnimationFrame(() => { view.status.textContent = text; });
}

function showError(text, { signIn = false } = {}) {
  view.alert.textContent = text;
  view.alert.classList.add('visible');
  view.alertSignIn.hidden = !signIn;
  view.alertDismiss.hidden = false;
}

function clearError() {
  view.alert.textContent = '';
  view.alert.classList.remove('visible');
  view.alertSignIn.hidden = true;
  view.alertDismiss.hidden = true;
}

function describe(error) {
  if (!(error instanceof ApiError)) return t('error_generic', { message: String(error) });
  if (error.code === 'network') return T.error_network;
  if (error.status === 401) return T.error_unauthenticated;
  if (error.code === 'csrf_token_invalid') return T.error_csrf;
  if (error.status === 403) return t('error_forbidden', { message: error.message });
  if (error.status === 422) return t('error_invalid', { message: `${error.message} ${JSON.stringify(error.details.fields || {})}` });
  if (error.status === 503) return T.error_storage;
  return t('error_generic', { message: error.message });
}

function report(error) {
  showError(describe(error), { signIn: error instanceof ApiError && error.status === 401 });
}

// ------------------------------------------------------------------ cards, focus and selection

const order = () => Array.from(view.cards.children, (root) => root.dataset.id);
const cardOf = (id) => items.get(id).root.querySelector('.card');
const authorOf = (id) => renderer.author(items.get(id).item);

function addCard(item) {
  if (items.has(item.id)) {
    items.get(item.id).item = item;
    return;
  }
  state.cardCount += 1;
  const root = renderer.render(item, state.cardCount);
  const entry = { item, root, selected: false, busy: false, renewing: false, renewedAt: performance.now() };
  items.set(item.id, entry);
  for (const button of root.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () => {
      setCurrent(item.id, { focus: false });
      decide([item.id], button.dataset.action);
    });
  }
  root.querySelector('.select-box').addEventListener('change', (event) => setSelected(item.id, event.target.checked));
  root.addEventListener('focusin', () => setCurrent(item.id, { focus: false }));
  root.addEventListener('click', () => setCurrent(item.id, { focus: false }));
  view.cards.append(root);
}

function setCurrent(id, { focus = true } = {}) {
  if (!items.has(id)) return;
  if (state.current !== id) {
    if (state.current && items.has(state.current)) {
      const previous = cardOf(state.current);
      previous.classList.remove('current');
      previous.removeAttribute('aria-current');
    }
    state.current = id;
    const card = cardOf(id);
    card.classList.add('current');
    card.setAttribute('aria-current', 'true');
  }
  if (focus) {
    cardOf(id).focus();
    cardOf(id).scrollIntoView({ block: 'nearest' });
  }
}

function move(step) {
  const ids = order();
  if (!ids.length) return;
  const index = ids.indexOf(state.current);
  const next = index < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, index + step));
  setCurrent(ids[next]);
}

function setSelected(id, selected) {
  const entry = items.get(id);
  if (!entry) return;
  entry.selected = selected;
  entry.root.querySelector('.select-box').checked = selected;
  cardOf(id).classList.toggle('selected', selected);
  updateBulkbar();
}

const selectedIds = () => order().filter((id) => items.get(id).selected);

function updateBulkbar() {
  const count = selectedIds().length;
  view.bulkbar.hidden = count === 0;
  view.selectionCount.textContent = tn('selection_count', count);
}

function clearSelection() {
  for (const id of selectedIds()) setSelected(id, false);
}

function removeCard(id) {
  const entry = items.get(id);
  if (!entry) return;
  const ids = order();
  const index = ids.indexOf(id);
  const wasCurrent = state.current === id;
  const hadFocus = entry.root.contains(document.activeElement);
  entry.root.remove();
  items.delete(id);
  if (wasCurrent) {
    state.current = null;
    const rest = ids.filter((other) => other !== id);
    const next = rest[Math.min(index, rest.length - 1)];
    if (next) setCurrent(next, { focus: hadFocus || document.activeElement === document.body });
  }
  updateBulkbar();
}

function clearCards() {
  for (const id of order()) removeCard(id);
}

// ------------------------------------------------------------------ claiming and leases

function filterBody() {
  const body = { order: config.filters.order, count: config.batch_size };
  for (const name of ['site_id', 'post', 'reason']) {
    if (config.filters[name]) body[name] = config.filters[name];
  }
  return body;
}

// `done`: what was just decided, announced together with what comes next; `poll`: quiet unless comments came.
async function claimBatch({ done = '', poll = false } = {}) {
  if (state.loading || state.paused || state.leaving) return;
  state.loading = true;
  clearTimeout(state.emptyTimer);
  if (!done && !poll) announce(T.status_loading);
  const tell = (text) => announce(done ? `${done} ${text}` : text);
  try {
    const { items: claimed } = await api('POST', '/v1/review/claims', filterBody());
    for (const item of claimed) addCard(item);
    view.empty.hidden = items.size > 0;
    if (claimed.length) {
      tell(tn('status_claimed', claimed.length));
      if (!state.current || !items.has(state.current)) {
        const active = document.activeElement;
        const idle = !active || active === document.body || active.id === 'main' || active.id === 'check-again';
        setCurrent(order()[0], { focus: idle });
      }
    } else if (!items.size && !poll) {
      tell(T.status_empty);
    }
  } catch (error) {
    report(error);
  } finally {
    state.loading = false;
  }
  if (!items.size && !state.paused && !state.leaving) {
    state.emptyTimer = setTimeout(() => claimBatch({ poll: true }), config.empty_poll_seconds * 1000);
  }
  refreshDepth();
}

async function refreshDepth() {
  const query = config.filters.site_id ? `?site_id=${encodeURIComponent(config.filters.site_id)}` : '';
  try {
    const { sites } = await api('GET', `/v1/review/stats${query}`);
    let depth = 0;
    for (const site of Object.values(sites)) {
      depth += config.filters.reason ? (site.pending_by_reason[config.filters.reason] || 0) : site.pending;
    }
    view.depth.textContent = tn('queue_depth', depth);
  } catch {
    // the count is a convenience; errors that matter are reported by the actions
  }
}

async function renew(id, entry) {
  entry.renewing = true;
  const started = performance.now();
  try {
    entry.item = await api('POST', itemPath(id, 'claim'));
    entry.renewedAt = started;
  } catch (error) {
    await handleItemError(id, error);
  } finally {
    entry.renewing = false;
  }
}

function renewLeases() {
  if (state.paused || state.leaving) return;
  if (items.size && Date.now() - state.lastActivity > config.idle_release_seconds * 1000) {
    pause();
    return;
  }
  const due = (config.lease_seconds * 1000) / 3;
  for (const [id, entry] of items) {
    if (!entry.renewing && !entry.busy && performance.now() - entry.renewedAt >= due) renew(id, entry);
  }
}

async function releaseAll({ keepalive = false } = {}) {
  const ids = order();
  const released = ids.map((id) => api('POST', itemPath(id, 'release'), undefined, { keepalive }));
  if (!keepalive) clearCards();
  await Promise.allSettled(released);
}

async function pause() {
  state.paused = true;
  clearTimeout(state.emptyTimer);
  await releaseAll();
  view.empty.hidden = true;
  announce(t('status_paused', { minutes: Math.round(config.idle_release_seconds / 60) }));
  refreshDepth();
}

function activity() {
  state.lastActivity = Date.now();
  if (state.paused) {
    state.paused = false;
    claimBatch();
  }
}

// ------------------------------------------------------------------ deciding

function labelsOf(id) {
  const root = items.get(id).root;
  const categories = Array.from(root.querySelectorAll('.category:checked'), (box) => box.value);
  const note = root.querySelector('.note').value.trim();
  return { categories, note };
}

async function describeRefusal(id, error) {
  // 409s name the other moderator in English prose; the item itself says who holds or decided it
  let current = null;
  try {
    current = await api('GET', itemPath(id));
  } catch {
    // gone or unreachable: the code is enough
  }
  const author = authorOf(id);
  if (error.code === 'claimed_by_other') {
    return t('error_claimed_by_other', { author, by: current?.claim?.by ?? '?' });
  }
  if (error.code === 'already_decided') {
    const status = current ? (T[`status_${current.status}`] ?? current.status) : '?';
    return t('error_already_decided', { author, status, by: current?.decided?.by ?? '?' });
  }
  return t('error_not_found', { author });
}

// 409 and 404 about one item: it is no longer ours to decide, so it leaves the page with a reason.
async function handleItemError(id, error) {
  if (!items.has(id)) return;
  if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
    const text = await describeRefusal(id, error);
    showError(text);
    removeCard(id);
    if (!items.size) claimBatch();
    return;
  }
  items.get(id).root.querySelector('.card-error').textContent = describe(error);
  report(error);
}

// Decide one item; a lease that ran out (and nobody took the item) is claimed again first.
async function decideOne(id, action, labels) {
  const body = { action, ...labels };
  try {
    return await api('POST', itemPath(id, 'decision'), body);
  } catch (error) {
    if (!(error instanceof ApiError) || !RECLAIMABLE.has(error.code)) throw error;
    await api('POST', itemPath(id, 'claim'));
    return api('POST', itemPath(id, 'decision'), body);
  }
}

async function decideBulk(ids, action) {
  // one bulk request per distinct (categories, note), so nothing a moderator ticked is dropped
  const groups = new Map();
  for (const id of ids) {
    const labels = labelsOf(id);
    const key = JSON.stringify(labels);
    if (!groups.has(key)) groups.set(key, { labels, ids: [] });
    groups.get(key).ids.push(id);
  }
  const done = [];
  for (const { labels, ids: group } of groups.values()) {
    let results;
    try {
      ({ results } = await api('POST', '/v1/review/decisions', { items: group, action, ...labels }));
    } catch (error) {
      report(error);
      continue;
    }
    for (const result of results) {
      if (result.ok) {
        done.push(result.id);
        continue;
      }
      const error = new ApiError(result.error.code === 'not_found' ? 404 : 409, result.error.code, result.error.message);
      try {
        if (!RECLAIMABLE.has(error.code)) throw error;
        await decideOne(result.id, action, labels);
        done.push(result.id);
      } catch (failure) {
        await handleItemError(result.id, failure);
      }
    }
  }
  return done;
}

async function decide(ids, action) {
  const wanted = ids.filter((id) => items.has(id) && !items.get(id).busy);
  if (!wanted.length) return;
  clearError();
  const authors = new Map(wanted.map((id) => [id, authorOf(id)]));
  for (const id of wanted) {
    items.get(id).busy = true;
    items.get(id).root.classList.add('busy');
  }
  let done = [];
  if (wanted.length === 1) {
    try {
      await decideOne(wanted[0], action, labelsOf(wanted[0]));
      done = wanted;
    } catch (error) {
      await handleItemError(wanted[0], error);
    }
  } else {
    done = await decideBulk(wanted, action);
  }
  for (const id of wanted) {
    if (!items.has(id)) continue;
    items.get(id).busy = false;
    items.get(id).root.classList.remove('busy');
  }
  for (const id of done) removeCard(id);
  const told = done.length ? tn(`done_${action}`, done.length, { author: authors.get(done[0]) }) : '';
  if (!items.size) {
    claimBatch({ done: told });
  } else {
    if (told) announce(told);
    refreshDepth();
  }
}

function act(action) {
  const selected = selectedIds();
  if (selected.length) decide(selected, action);
  else if (state.current) decide([state.current], action);
}

// ------------------------------------------------------------------ keyboard, help and leaving

function toggleHelp() {
  if (view.help.open) view.help.close();
  else view.help.showModal();
}

const SHORTCUTS = {
  j: () => move(1),
  k: () => move(-1),
  a: () => act('approve'),
  r: () => act('reject'),
  s: () => act('spam'),
  x: () => state.current && setSelected(state.current, !items.get(state.current).selected),
  '?': toggleHelp,
  Escape: clearSelection,
};

function typing(target) {
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
}

function onKey(event) {
  activity();
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (typing(event.target)) {
    if (event.key === 'Escape') {
      event.target.blur();
      if (state.current) setCurrent(state.current);
    }
    return;
  }
  if (view.help.open) {
    if (event.key === '?') {
      event.preventDefault();
      view.help.close();
    }
    return; // Escape closes the dialog by itself
  }
  const shortcut = SHORTCUTS[event.key];
  if (!shortcut) return;
  event.preventDefault();
  shortcut();
}

// Leaving through one of the page's own forms: give the comments back first, then go.
function releaseBeforeSubmit(event) {
  const form = event.target;
  if (form.dataset.released || !items.size) return;
  event.preventDefault();
  state.leaving = true;
  releaseAll().finally(() => {
    form.dataset.released = 'true';
    form.requestSubmit(event.submitter);
  });
}

function start() {
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', activity);
  for (const form of document.querySelectorAll('form[data-release-first]')) {
    form.addEventListener('submit', releaseBeforeSubmit);
  }
  for (const button of document.querySelectorAll('button[data-bulk]')) {
    button.addEventListener('click', () => decide(selectedIds(), button.dataset.bulk));
  }
  $('clear-selection').addEventListener('click', clearSelection);
  $('check-again').addEventListener('click', () => claimBatch());
  $('open-help').addEventListener('click', toggleHelp);
  $('close-help').addEventListener('click', () => view.help.close());
  view.alertDismiss.addEventListener('click', clearError);
  // Closing the tab or following a link: best effort (the lease ends the claim anyway).
  window.addEventListener('pagehide', () => {
    if (state.leaving || !items.size) return;
    state.leaving = true;
    releaseAll({ keepalive: true });
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload(); // back from the cache: the claims were given back
  });
  setInterval(renewLeases, RENEW_CHECK_MS);
  updateBulkbar();
  claimBatch();
}

start();

// Claiming, keeping and giving back leases, and deciding, through the moderator API.
import { api, ApiError, itemPath } from './api.js';
import {
  addCard, authorOf, clearCards, countDecided, current, heldBefore, items, markBusy, moveOnFrom, order, redrawNeeded,
  removeCard, replaceCard, selectedIds, setCurrent,
} from './board.js';
import { describe, report } from './errors.js';
import {
  $, announce, clearError, config, showError, T, t, tn, view,
} from './page.js';

// Leases are renewed once a third of them has passed, checked often enough for short leases too.
export const RENEW_CHECK_MS = Math.min(5000, (config.lease_seconds * 1000) / 6);
const RECLAIMABLE = new Set(['lease_expired', 'not_claimed']);

const state = { loading: false, paused: false, leaving: false, emptyTimer: null, lastActivity: Date.now() };

export const leaving = () => state.leaving;
// Nobody has pressed a key or clicked for a while: comments should not wait for them.
const idleTooLong = () => Date.now() - state.lastActivity > config.idle_release_seconds * 1000;

// The page is going away: stop claiming, renewing and polling.
export function leave() {
  state.leaving = true;
  clearTimeout(state.emptyTimer);
}

// ------------------------------------------------------------------ claiming and leases

function filterBody() {
  const body = { order: config.filters.order, count: config.batch_size };
  for (const name of ['site_id', 'post', 'reason', 'author']) {
    if (config.filters[name]) body[name] = config.filters[name];
  }
  return body;
}

// `done`: what was just decided, announced together with what comes next; `poll`: quiet unless comments came.
export async function claimBatch({ done = '', poll = false } = {}) {
  if (state.loading || state.paused || state.leaving) return;
  if (poll && idleTooLong()) {
    pause(); // an empty queue watched by nobody must not claim what arrives
    return;
  }
  state.loading = true;
  clearTimeout(state.emptyTimer);
  if (!done && !poll) announce(T.status_loading);
  const tell = (text) => announce(done ? `${done} ${text}` : text);
  let counted = false;
  try {
    const { items: claimed } = await api('POST', '/v1/review/claims', filterBody());
    for (const item of claimed) addCard(item, decide);
    view.empty.hidden = items.size > 0;
    if (claimed.length) {
      tell(tn('status_claimed', claimed.length));
      if (!current() || !items.has(current())) {
        const active = document.activeElement;
        const idle = !active || active === document.body || active.id === 'main' || active.id === 'check-again';
        setCurrent(order()[0], { focus: idle });
      }
    } else if (!items.size && !poll) {
      tell(await emptyMessage());
      counted = true;
      // the card that had the focus is gone: the keyboard goes on from "check again", not from the page's top
      if (!document.activeElement || document.activeElement === document.body) $('check-again').focus();
    }
  } catch (error) {
    report(error);
    // the decision went through, only the next batch did not come; else "loading" is over (the alert says why)
    announce(done || T.status_load_failed);
    if (!items.size) {
      // nothing on the page: say why where the comments would be, with "check again" to try at once
      view.emptyText.textContent = describe(error);
      view.empty.hidden = false;
      counted = true;
      if (!document.activeElement || document.activeElement === document.body) $('check-again').focus();
    }
  } finally {
    state.loading = false;
  }
  if (!items.size && !state.paused && !state.leaving) {
    state.emptyTimer = setTimeout(() => claimBatch({ poll: true }), config.empty_poll_seconds * 1000);
  }
  if (!counted) {
    if (items.size) refreshDepth();
    else emptyMessage(); // a poll keeps the empty page's words true as others decide
  }
}

// The number of comments waiting (claimed or not) under the page's site and reason filters, or null.
export async function refreshDepth() {
  const query = config.filters.site_id ? `?site_id=${encodeURIComponent(config.filters.site_id)}` : '';
  try {
    const { sites } = await api('GET', `/v1/review/stats${query}`);
    let depth = 0;
    for (const site of Object.values(sites)) {
      depth += config.filters.reason ? (site.pending_by_reason[config.filters.reason] || 0) : site.pending;
    }
    view.depth.textContent = tn('queue_depth', depth);
    return depth;
  } catch {
    return null; // the count is a convenience; errors that matter are reported by the actions
  }
}

// Under a post or author filter the count says nothing: does anything the filters match wait, held by others?
async function filteredWaiting() {
  const query = new URLSearchParams({ limit: '1' });
  for (const name of ['site_id', 'post', 'reason', 'author']) {
    if (config.filters[name]) query.set(name, config.filters[name]);
  }
  try {
    const { items: waiting } = await api('GET', `/v1/review/items?${query}`);
    return waiting.length > 0;
  } catch {
    return false;
  }
}

// What the empty page says. A claim that found nothing while comments wait means that every one of them is
// being reviewed, by another moderator or in another window of this one (a page closed without saying so
// keeps its lease until it runs out): "the queue is empty" would be wrong. With a post or author filter the
// count does not tell, so the page asks whether any comment the filters match waits.
async function emptyMessage() {
  const depth = await refreshDepth();
  let text = depth ? tn('status_all_claimed', depth) : T.status_empty;
  if (config.filters.post || config.filters.author) {
    const waiting = await filteredWaiting();
    if (config.filters.author) text = waiting ? T.status_author_claimed : T.status_author_empty;
    else text = waiting ? T.status_filter_claimed : T.status_empty;
  }
  view.emptyText.textContent = text;
  return text;
}

async function renew(id, entry) {
  entry.renewing = true;
  const started = performance.now();
  try {
    const renewed = await api('POST', itemPath(id, 'claim'));
    entry.renewedAt = started;
    if (renewed.revision !== entry.item.revision && items.has(id)) {
      replaceCard(renewed, decide);
      announce(t('status_edited', { author: authorOf(id) }));
    } else if (redrawNeeded(entry.item, renewed) && items.has(id)) {
      replaceCard(renewed, decide); // the name and addresses the person had erased leave the screen too
      announce(T.status_erased);
    } else {
      entry.item = renewed;
    }
  } catch (error) {
    await handleItemError(id, error);
  } finally {
    entry.renewing = false;
  }
}

export function renewLeases() {
  if (state.paused || state.leaving) return;
  if (items.size && idleTooLong()) {
    pause();
    return;
  }
  const due = (config.lease_seconds * 1000) / 3;
  for (const [id, entry] of items) {
    if (!entry.renewing && !entry.busy && performance.now() - entry.renewedAt >= due) renew(id, entry);
  }
}

export async function releaseAll({ keepalive = false } = {}) {
  // Not a comment whose decision is on its way: released first, the decision would find it no longer held and
  // be lost (it ends the claim itself, and should it fail, the lease ends).
  const ids = order().filter((id) => !items.get(id)?.busy);
  const released = ids.map((id) => api('POST', itemPath(id, 'release'), undefined, { keepalive }));
  if (!keepalive) clearCards();
  await Promise.allSettled(released);
}

// The pages of this browser tell each other which comments they show: a page about to give back what the
// page before it in its tab held must leave alone what a live page shows (a duplicated tab copies the
// session storage; another tab may have claimed one since).
const pages = 'BroadcastChannel' in window ? new BroadcastChannel('moderation-pages') : null;
const ASK_MS = 150;
pages?.addEventListener('message', (event) => {
  const shown = (event.data?.ask || []).filter((id) => items.has(id));
  if (shown.length) pages.postMessage({ shown });
});

async function shownElsewhere(ids) {
  const shown = new Set();
  if (!pages || !ids.length) return shown;
  const listen = (event) => (event.data?.shown || []).forEach((id) => shown.add(id));
  pages.addEventListener('message', listen);
  pages.postMessage({ ask: ids });
  await new Promise((resolve) => { setTimeout(resolve, ASK_MS); });
  pages.removeEventListener('message', listen);
  return shown;
}

// The page before this one in the tab went away without giving its comments back: reloaded (the release sent
// as it went may arrive after this page's first claim) or crashed. The service counts them as held in another
// window until their leases end, so the first claim would not get them: give them back first, unless a live
// page shows them. Those given back already, or decided since, are refused; that is fine.
export async function releaseLeftBehind() {
  const ids = heldBefore();
  const shown = await shownElsewhere(ids);
  await Promise.allSettled(ids.filter((id) => !shown.has(id)).map((id) => api('POST', itemPath(id, 'release'))));
}

async function pause() {
  state.paused = true;
  clearTimeout(state.emptyTimer);
  await releaseAll();
  view.empty.hidden = true;
  announce(t('status_paused', { minutes: Math.round(config.idle_release_seconds / 60) }));
  refreshDepth();
}

export function activity() {
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

// A comment's status in the page's language ('?' when it could not be read).
const statusWord = (item) => (item ? (T[`status_${item.status}`] ?? item.status) : '?');

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
  const status = statusWord(current);
  if (error.code === 'decided_by_model') return t('error_edited_out', { author, status });
  if (error.code === 'reviewed_elsewhere') return t('error_reviewed_elsewhere', { author });
  if (error.code === 'already_decided') {
    return t('error_already_decided', { author, status, by: current?.decided?.by ?? '?' });
  }
  if (error.status === 404) return t('error_not_found', { author });
  return t('error_refused', { author, message: describe(error) });
}

// The comment changed while we held it: claim it again, which shows us the new text, and draw it anew.
async function showEdited(id) {
  try {
    replaceCard(await api('POST', itemPath(id, 'claim')), decide);
    showError(t('error_edited', { author: authorOf(id) }));
  } catch (error) {
    await handleItemError(id, error);
  }
}

// A decision that did not go through (the network, the service, the session): the comments stay on the page
// to be decided again, and the alert names them, so that nothing passes for decided.
function reportNotDecided(ids, error) {
  const message = describe(error);
  const left = ids.filter((id) => items.has(id));
  if (!left.length) return;
  for (const id of left) items.get(id).root.querySelector('.card-error').textContent = message;
  showError(tn('error_not_decided', left.length, { author: authorOf(left[0]), message }),
    { signIn: error instanceof ApiError && error.status === 401 });
}

// 409 and 404 about one item: it is no longer ours to decide, so it leaves the page with a reason (an edit
// leaves it on the page, with its new text). `deciding`: the error answered a decision.
async function handleItemError(id, error, { deciding = false } = {}) {
  if (!items.has(id)) return;
  if (error instanceof ApiError && error.code === 'edited') {
    await showEdited(id);
    return;
  }
  if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
    const text = await describeRefusal(id, error);
    showError(text);
    removeCard(id);
    if (!items.size) claimBatch();
    else refreshDepth();
    return;
  }
  if (deciding) {
    reportNotDecided([id], error);
    return;
  }
  items.get(id).root.querySelector('.card-error').textContent = describe(error);
  report(error);
}

// The revision on screen, which a decision names: the service refuses it for any other (an edit that a lease
// renewal has just handed over, before the card shows it).
function shownRevision(id) {
  return items.has(id) ? { revision: items.get(id).item.revision } : {};
}

// Decide one item; a lease that ran out (and nobody took the item) is claimed again first. Claiming hands over
// the comment as it is now: edited meanwhile, it is shown with its new text and not decided unseen.
// Decisions are sent with `keepalive`: one on its way when the moderator closes the tab still arrives.
const SENT_ON = { keepalive: true };

async function decideOne(id, action, labels) {
  const body = { action, ...labels, ...shownRevision(id) };
  try {
    return await api('POST', itemPath(id, 'decision'), body, SENT_ON);
  } catch (error) {
    if (!(error instanceof ApiError) || !RECLAIMABLE.has(error.code)) throw error;
    const claimed = await api('POST', itemPath(id, 'claim'));
    if (items.has(id) && claimed.revision !== items.get(id).item.revision) {
      throw new ApiError(409, 'edited', `'${id}' was edited (it is now revision ${claimed.revision}).`);
    }
    return api('POST', itemPath(id, 'decision'), body, SENT_ON);
  }
}

// `times`: id -> when the decision was taken (its `decided.at`), filled in for each item decided.
async function decideBulk(ids, action, times) {
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
      const revisions = Object.assign({}, ...group.map((id) => {
        const shown = shownRevision(id).revision;
        return shown === undefined ? {} : { [id]: shown };
      }));
      ({ results } = await api('POST', '/v1/review/decisions', { items: group, action, ...labels, revisions },
        SENT_ON));
    } catch (error) {
      reportNotDecided(group, error);
      continue;
    }
    for (const result of results) {
      if (result.ok) {
        done.push(result.id);
        times.set(result.id, result.decided_at);
        continue;
      }
      const error = new ApiError(result.error.code === 'not_found' ? 404 : 409, result.error.code, result.error.message);
      try {
        if (!RECLAIMABLE.has(error.code)) throw error;
        times.set(result.id, (await decideOne(result.id, action, labels)).decided?.at);
        done.push(result.id);
      } catch (failure) {
        await handleItemError(result.id, failure, { deciding: true });
      }
    }
  }
  return done;
}

// A key (or button) for comments whose decision is still on its way is not taken: said, not silently dropped,
// and not passed on to a comment the moderator has not seen as current.
function refuseOnItsWay(ids) {
  const onItsWay = ids.filter((id) => items.get(id)?.busy);
  if (onItsWay.length) announce(tn('refused_on_its_way', onItsWay.length, { author: authorOf(onItsWay[0]) }));
}

export async function decide(ids, action) {
  const wanted = ids.filter((id) => items.has(id) && !items.get(id).busy);
  if (!wanted.length) {
    refuseOnItsWay(ids);
    return;
  }
  clearError();
  view.status.textContent = ''; // what the last decision said is not about this one
  const authors = new Map(wanted.map((id) => [id, authorOf(id)]));
  for (const id of wanted) {
    markBusy(id, true);
    items.get(id).root.querySelector('.card-error').textContent = '';
  }
  moveOnFrom(wanted);
  let done = [];
  const times = new Map();
  if (wanted.length === 1) {
    try {
      times.set(wanted[0], (await decideOne(wanted[0], action, labelsOf(wanted[0]))).decided?.at);
      done = wanted;
    } catch (error) {
      await handleItemError(wanted[0], error, { deciding: true });
    }
  } else {
    done = await decideBulk(wanted, action, times);
  }
  for (const id of wanted) markBusy(id, false);
  countDecided(done, action);
  if (done.length) remember(done, action, authors, times);
  for (const id of done) removeCard(id);
  const told = done.length ? tn(`done_${action}`, done.length, { author: authors.get(done[0]) }) : '';
  if (!items.size) {
    claimBatch({ done: told });
  } else {
    if (told) announce(told);
    refreshDepth();
  }
}

export function act(action) {
  const selected = selectedIds();
  if (selected.length) decide(selected, action);
  else if (current()) decide([current()], action);
  else if (state.loading) announce(T.refused_loading); // the next comments are not on the page yet
}

// ------------------------------------------------------------------ taking decisions back

// The decisions taken on this page, newest last: `u` takes back the newest (all the comments of a bulk
// decision at once), and again the one before.
const UNDO_DEPTH = 20;
const undoable = [];

function remember(ids, action, authors, times) {
  undoable.push({ ids, action, authors: ids.map((id) => authors.get(id)), times: ids.map((id) => times.get(id)) });
  if (undoable.length > UNDO_DEPTH) undoable.shift();
  view.undo.hidden = false;
}

// Why a decision could not be taken back, in the page's language. A comment that waits for review again
// (reopened by someone else, or edited and held) is brought onto the page when nobody holds it.
async function undoRefusal(id, author, error) {
  if (!(error instanceof ApiError)) return t('error_undo', { author, message: describe(error) });
  if (error.status === 404) return t('undo_gone', { author });
  if (error.code === 'changed') return t('undo_changed', { author });
  if (error.code === 'not_reopenable') {
    const current = await api('GET', itemPath(id)).catch(() => null); // gone or unreachable: '?' will do
    return t('undo_model', { author, status: statusWord(current) });
  }
  if (error.code === 'not_decided') {
    try {
      addCard(await api('POST', itemPath(id, 'claim')), decide, { first: true });
      view.empty.hidden = true;
      setCurrent(id);
    } catch {
      // another moderator holds it: they will decide it
    }
    return t('undo_waiting', { author });
  }
  return t('error_undo', { author, message: describe(error) });
}

export async function undo() {
  const last = undoable.pop();
  view.undo.hidden = !undoable.length;
  if (!last) {
    announce(T.status_nothing_to_undo);
    return;
  }
  clearError();
  const back = [];
  const refusals = [];
  const retry = [];
  let signIn = false;
  for (const [i, id] of last.ids.entries()) {
    try {
      // only the decision taken here: not one someone took since
      back.push(await api('POST', itemPath(id, 'reopen'), last.times[i] ? { decided_at: last.times[i] } : {}));
    } catch (error) {
      signIn ||= error instanceof ApiError && error.status === 401;
      if (!(error instanceof ApiError) || !error.status || error.status >= 500 || error.status === 401
          || error.code === 'csrf_token_invalid') retry.push(i); // not refused: `u` tries again
      refusals.push(await undoRefusal(id, last.authors[i], error));
    }
  }
  if (retry.length) {
    const pick = (list) => retry.map((i) => list[i]);
    undoable.push({ ...last, ids: pick(last.ids), authors: pick(last.authors), times: pick(last.times) });
    view.undo.hidden = false;
  }
  if (refusals.length) showError(refusals.join(' '), { signIn });
  if (!back.length) {
    if (items.size) announce(''); // "the queue is empty" may be on screen, and a comment was brought back
    refreshDepth();
    return;
  }
  clearTimeout(state.emptyTimer);
  // Each answer's author history was read partway through the reopenings: the last one per author is current.
  const histories = new Map(back.map((item) => [`${item.site_id}\0${item.author_key}`, item.author_history]));
  for (const item of back) item.author_history = histories.get(`${item.site_id}\0${item.author_key}`);
  for (const item of [...back].reverse()) addCard(item, decide, { first: true });
  countDecided(back.map((item) => item.id), last.action, -1);
  view.empty.hidden = true;
  setCurrent(back[0].id);
  announce(tn('done_undo', back.length, { author: authorOf(back[0].id) }));
  refreshDepth();
}

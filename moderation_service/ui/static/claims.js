// Claiming batches of comments, keeping their leases while they are on screen, and giving them back when the
// page is left or idle.
import { api, itemPath } from './api.js';
import {
  addCard, authorOf, clearCards, current, items, order, redrawNeeded, replaceCard, setCurrent,
} from './board.js';
import { decide } from './deciding.js';
import { emptyMessage, refreshDepth } from './depth.js';
import { describe, report } from './errors.js';
import { $, announce, config, T, t, tn, view } from './page.js';
import { handleItemError } from './refusals.js';

// Leases are renewed once a third of them has passed, checked often enough for short leases too.
export const RENEW_CHECK_MS = Math.min(5000, (config.lease_seconds * 1000) / 6);

const state = { loading: false, paused: false, leaving: false, emptyTimer: null, lastActivity: Date.now() };

export const leaving = () => state.leaving;
export const loading = () => state.loading;
// Nobody has pressed a key or clicked for a while: comments should not wait for them.
const idleTooLong = () => Date.now() - state.lastActivity > config.idle_release_seconds * 1000;

// The page is going away: stop claiming, renewing and polling.
export function leave() {
  state.leaving = true;
  clearTimeout(state.emptyTimer);
}

// Comments came back onto the page (a decision taken back): the empty queue's poll is not wanted.
export function stopEmptyPoll() {
  clearTimeout(state.emptyTimer);
}

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

// Taking back the moderator's own decisions taken on this page (`u`).
import { api, ApiError, itemPath } from './api.js';
import { addCard, authorOf, countDecided, items, setCurrent } from './board.js';
import { stopEmptyPoll } from './claims.js';
import { decide } from './deciding.js';
import { refreshDepth } from './depth.js';
import { describe } from './errors.js';
import { announce, clearError, showError, T, t, tn, view } from './page.js';
import { statusWord } from './refusals.js';

// The decisions taken on this page, newest last: `u` takes back the newest (all the comments of a bulk
// decision at once), and again the one before.
const UNDO_DEPTH = 20;
const undoable = [];

export function remember(ids, action, authors, times) {
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
  stopEmptyPoll();
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

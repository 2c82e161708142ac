// Deciding the current comment or the selected ones, through the moderator API.
import { api, ApiError, itemPath } from './api.js';
import {
  authorOf, countDecided, current, items, markBusy, moveOnFrom, removeCard, selectedIds,
} from './board.js';
import { claimBatch, loading } from './claims.js';
import { refreshDepth } from './depth.js';
import { announce, clearError, T, tn, view } from './page.js';
import { handleItemError, reportNotDecided } from './refusals.js';
import { remember } from './undo.js';

const RECLAIMABLE = new Set(['lease_expired', 'not_claimed']);

function labelsOf(id) {
  const root = items.get(id).root;
  const categories = Array.from(root.querySelectorAll('.category:checked'), (box) => box.value);
  const note = root.querySelector('.note').value.trim();
  return { categories, note };
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

// A key (or button) for comments whose decision is still on its way is not taken: said, not silently dropped (a
// selection may hold some beside comments free to decide, which are), and not passed on to a comment the
// moderator has not seen as current. What is said of them ('' for none).
function onItsWay(ids) {
  const travelling = ids.filter((id) => items.get(id)?.busy);
  return travelling.length ? tn('refused_on_its_way', travelling.length, { author: authorOf(travelling[0]) }) : '';
}

export async function decide(ids, action) {
  const wanted = ids.filter((id) => items.has(id) && !items.get(id).busy);
  const refused = onItsWay(ids);
  if (!wanted.length) {
    if (refused) announce(refused);
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
  const told = [done.length ? tn(`done_${action}`, done.length, { author: authors.get(done[0]) }) : '', refused]
    .filter(Boolean).join(' ');
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
  else if (loading()) announce(T.refused_loading); // the next comments are not on the page yet
}

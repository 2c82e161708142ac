// A comment that is no longer the moderator's to decide (taken, decided, edited, deleted meanwhile), and a
// decision that did not go through: said in the page's language, and what leaves the page is named.
import { api, ApiError, itemPath } from './api.js';
import { authorOf, items, removeCard, replaceCard } from './board.js';
import { claimBatch } from './claims.js';
import { decide } from './deciding.js';
import { refreshDepth } from './depth.js';
import { describe, report } from './errors.js';
import { showError, T, t, tn } from './page.js';

// A comment's status in the page's language ('?' when it could not be read).
export const statusWord = (item) => (item ? (T[`status_${item.status}`] ?? item.status) : '?');

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
export function reportNotDecided(ids, error) {
  const message = describe(error);
  const left = ids.filter((id) => items.has(id));
  if (!left.length) return;
  for (const id of left) items.get(id).root.querySelector('.card-error').textContent = message;
  showError(tn('error_not_decided', left.length, { author: authorOf(left[0]), message }),
    { signIn: error instanceof ApiError && error.status === 401 });
}

// 409 and 404 about one item: it is no longer ours to decide, so it leaves the page with a reason (an edit
// leaves it on the page, with its new text). `deciding`: the error answered a decision.
export async function handleItemError(id, error, { deciding = false } = {}) {
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

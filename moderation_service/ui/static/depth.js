// How many comments wait, and what the page says when none is on it.
import { api } from './api.js';
import { config, T, tn, view } from './page.js';

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
export async function emptyMessage() {
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

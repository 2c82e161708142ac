// The comments a page left behind in its tab, given back by the next page unless another live page shows them.
import { api, itemPath } from './api.js';
import { heldBefore, items } from './board.js';

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

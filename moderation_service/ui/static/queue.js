// The queue page: claim a batch, decide with the keyboard (j/k, a/r/s, x/X, u, ?) or the buttons, keep the
// leases alive while the comments are on screen, give them back when leaving or idle.
import {
  clearSelection, current, endTypingCutOff, focusCurrentIfLost, isTextField, items, move, selectedIds, setCurrent, setSelected,
  toggleSelectAll, typingCutOff, updateBulkbar,
} from './board.js';
import { $, clearError, view } from './page.js';
import {
  activity, claimBatch, leave, leaving, releaseAll, RENEW_CHECK_MS, renewLeases,
} from './claims.js';
import { act, decide } from './deciding.js';
import { releaseLeftBehind } from './tabs.js';
import { undo } from './undo.js';

function toggleHelp() {
  if (view.help.open) view.help.close();
  else view.help.showModal();
}

// The current comment's categories and note, opened, with the focus in the note (Esc goes back to the card).
function openNote() {
  if (!current()) return;
  const root = items.get(current()).root;
  root.querySelector('.labels').open = true;
  root.querySelector('.note').focus();
}

// Keys that may repeat while held down; a held decision key decides one comment, not each that comes up next.
const REPEATING = new Set(['j', 'k']);

const SHORTCUTS = {
  j: () => move(1),
  k: () => move(-1),
  a: () => act('approve'),
  r: () => act('reject'),
  s: () => act('spam'),
  x: () => current() && setSelected(current(), !items.get(current()).selected),
  n: openNote,
  X: toggleSelectAll,
  u: undo,
  '?': toggleHelp,
  Escape: clearSelection,
};

// The shortcut a key press means: a letter is a capital with Shift, whatever Caps Lock says (Caps Lock sends
// "X" for x, which would select every comment instead of this one).
function shortcutKey(event) {
  const { key } = event;
  if (key.length !== 1 || key.toLowerCase() === key.toUpperCase()) return key;
  return event.shiftKey ? key.toUpperCase() : key.toLowerCase();
}

function onKey(event) {
  activity();
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
  if (isTextField(event.target)) {
    if (event.key === 'Escape') {
      event.target.blur();
      if (current()) setCurrent(current());
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
  const key = shortcutKey(event);
  const shortcut = SHORTCUTS[key];
  if (event.key === 'Escape') {
    endTypingCutOff();
  } else if (event.key.length === 1 && typingCutOff()) { // still typing, for a note that went away
    if (shortcut) event.preventDefault();
    return;
  }
  if (!shortcut) return;
  event.preventDefault();
  if (event.repeat && !REPEATING.has(key)) return;
  shortcut();
}

// Leaving through one of the page's own forms: give the comments back first, then go.
function releaseBeforeSubmit(event) {
  const form = event.target;
  if (form.dataset.released || !items.size) return;
  event.preventDefault();
  leave();
  releaseAll().finally(() => {
    form.dataset.released = 'true';
    form.requestSubmit(event.submitter);
  });
}

// Following one of the page's own links to another queue page (a person's comments, the way back): give the
// comments back first, then go, so that the next page can claim them (the pagehide release is a keepalive
// request that may arrive after the next page's claim). A link opened in a new tab or window keeps them.
function releaseBeforeFollowing(event) {
  const link = event.target.closest('a[data-release-first]');
  if (!link || !items.size || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  leave();
  releaseAll().finally(() => window.location.assign(link.href));
}

function start() {
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerdown', () => {
    endTypingCutOff();
    activity();
  });
  document.addEventListener('click', releaseBeforeFollowing);
  for (const form of document.querySelectorAll('form[data-release-first]')) {
    form.addEventListener('submit', releaseBeforeSubmit);
  }
  for (const button of document.querySelectorAll('button[data-bulk]')) {
    button.addEventListener('click', () => decide(selectedIds(), button.dataset.bulk));
  }
  $('clear-selection').addEventListener('click', clearSelection);
  view.undo.addEventListener('click', undo);
  $('check-again').addEventListener('click', () => claimBatch());
  $('open-help').addEventListener('click', toggleHelp);
  $('close-help').addEventListener('click', () => view.help.close());
  view.alertDismiss.addEventListener('click', () => {
    clearError();
    focusCurrentIfLost();
  });
  // Closing the tab or following a link: best effort (the lease ends the claim anyway).
  window.addEventListener('pagehide', () => {
    if (leaving() || !items.size) return;
    leave();
    releaseAll({ keepalive: true });
  });
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) window.location.reload(); // back from the cache: the claims were given back
  });
  setInterval(renewLeases, RENEW_CHECK_MS);
  updateBulkbar();
  releaseLeftBehind().finally(() => claimBatch());
}

start();

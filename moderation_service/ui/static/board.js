// The cards on the page: which one is current, which are selected, adding and removing them.
import { CardRenderer } from './cards.js';
import { $, announce, config, T, tn, view } from './page.js';

const renderer = new CardRenderer($('card-template'), T, config.lang, config.filters);

// id -> { item, root, selected, busy, renewing, renewedAt }
export const items = new Map();
const board = { current: null, cardCount: 0, selected: 0, atEnd: null };

export const current = () => board.current;

// A field one types into: keys pressed there are text, not shortcuts.
export function isTextField(target) {
  if (!target) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(target.type);
}

// A card went away (taken by someone else, deleted) while the moderator typed in its note: the focus moves on
// to the next card, and the letters still on their way were meant for the note. Keys are no shortcuts until
// the typing pauses for this long (each key pressed meanwhile extends it).
const TYPING_PAUSE_MS = 1000;
const typingCut = { until: 0 };

export function typingCutOff() {
  if (performance.now() >= typingCut.until) return false;
  typingCut.until = performance.now() + TYPING_PAUSE_MS;
  return true;
}

export function endTypingCutOff() {
  typingCut.until = 0;
}

// The comments this tab holds, kept in its session storage: a page reloaded or restored after a crash gives
// back what the page before it held (see releaseLeftBehind).
const HELD_KEY = 'moderation.held';

function rememberHeld() {
  try {
    sessionStorage.setItem(HELD_KEY, JSON.stringify([...items.keys()]));
  } catch {
    // storage turned off: the leases end such claims
  }
}

export function heldBefore() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(HELD_KEY) || '[]');
    return Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export const order = () => Array.from(view.cards.children, (root) => root.dataset.id);
const cardOf = (id) => items.get(id).root.querySelector('.card');
export const authorOf = (id) => renderer.author(items.get(id).item);

// Who wrote a comment, as the service counts an author's history: per site, by e-mail, else by name.
function authorKey(item) {
  const email = (item.comment.author_email || '').trim().toLowerCase();
  const name = (item.comment.author_name || '').trim().toLowerCase();
  if (!email && !name) return null;
  return `${item.site_id}\0${email || `name:${name}`}`;
}

const HISTORY_FIELD = { approve: 'approved', reject: 'rejected', spam: 'spam' };

// Decisions just made count in the history shown on the other cards by the same author, as they do in the
// service: a card drawn before them would otherwise say "no decision yet" about someone just rejected.
// `by` -1: decisions taken back.
export function countDecided(ids, action, by = 1) {
  const field = HISTORY_FIELD[action];
  const decided = ids.filter((id) => items.has(id)).map((id) => authorKey(items.get(id).item)).filter(Boolean);
  if (!field || !decided.length) return;
  for (const entry of items.values()) {
    if (ids.includes(entry.item.id)) continue;
    const key = authorKey(entry.item);
    const more = decided.filter((author) => author === key).length;
    if (!more) continue;
    const history = { approved: 0, rejected: 0, spam: 0, ...(entry.item.author_history || {}) };
    history[field] = Math.max(0, history[field] + by * more);
    entry.item.author_history = history;
    renderer.fillHistory(entry.root.querySelector('.history'), history);
  }
}

// `decide(ids, action)` runs when one of the card's buttons is pressed.
function wire(root, id, decide) {
  for (const button of root.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () => {
      setCurrent(id, { focus: false });
      decide([id], button.dataset.action);
    });
  }
  root.querySelector('.select-box').addEventListener('change', (event) => setSelected(id, event.target.checked));
  root.addEventListener('focusin', () => setCurrent(id, { focus: false }));
  root.addEventListener('click', () => setCurrent(id, { focus: false }));
}

// The comment as the service now has it shows something else than its card: edited, or the person's data erased.
export const redrawNeeded = (shown, now) => shown.revision !== now.revision
  || Boolean(shown.personal_data_erased_at) !== Boolean(now.personal_data_erased_at);

// `first`: at the top (a comment whose decision was taken back), else at the end.
export function addCard(item, decide, { first = false } = {}) {
  if (items.has(item.id)) {
    if (redrawNeeded(items.get(item.id).item, item)) replaceCard(item, decide);
    else items.get(item.id).item = item;
    return;
  }
  board.cardCount += 1;
  const root = renderer.render(item, board.cardCount);
  const entry = { item, root, selected: false, busy: false, renewing: false, renewedAt: performance.now() };
  items.set(item.id, entry);
  rememberHeld();
  wire(root, item.id, decide);
  if (first) view.cards.prepend(root);
  else view.cards.append(root);
}

// The moderator's own input on a card (categories ticked, the note, whether they are open), carried over to
// the card drawn again for an edit: nothing typed or ticked is lost, and it is in sight when deciding anew.
function carryOver(from, to) {
  const ticked = new Set(Array.from(from.querySelectorAll('.category:checked'), (box) => box.value));
  for (const box of to.querySelectorAll('.category')) box.checked = ticked.has(box.value);
  to.querySelector('.note').value = from.querySelector('.note').value;
  to.querySelector('.labels').open = from.querySelector('.labels').open;
}

// The control in the new card that matches the one that has the focus in the old card, if any.
function matchingControl(from, to) {
  const active = document.activeElement;
  if (!from.contains(active)) return null;
  if (active.classList.contains('note')) return to.querySelector('.note');
  if (active.classList.contains('category')) return to.querySelector(`.category[value="${CSS.escape(active.value)}"]`);
  if (active.classList.contains('select-box')) return to.querySelector('.select-box');
  if (active.matches('.labels summary')) return to.querySelector('.labels summary');
  return null;
}

// The comment was edited: its card is drawn again in its place, with the new text. What the moderator ticked
// and typed, the selection and the focus are carried over: a note being typed keeps the keys (they must not
// turn into shortcuts on the new text, unread).
export function replaceCard(item, decide) {
  const entry = items.get(item.id);
  if (!entry) return;
  board.cardCount += 1;
  const root = renderer.render(item, board.cardCount);
  const hadFocus = entry.root.contains(document.activeElement);
  carryOver(entry.root, root);
  const control = matchingControl(entry.root, root);
  const active = document.activeElement;
  const caret = control?.classList.contains('note') ? [active.selectionStart, active.selectionEnd] : null;
  wire(root, item.id, decide);
  entry.root.replaceWith(root);
  entry.root = root;
  entry.item = item;
  root.querySelector('.select-box').checked = entry.selected;
  cardOf(item.id).classList.toggle('selected', entry.selected);
  markBusy(item.id, entry.busy);
  if (board.current === item.id) {
    board.current = null;
    setCurrent(item.id, { focus: hadFocus && !control });
  }
  if (control) {
    control.focus();
    if (caret) control.setSelectionRange(...caret);
  }
}

// A decision on its way: the card stays (dimmed, and busy for a screen reader) until the service answers.
export function markBusy(id, busy) {
  const entry = items.get(id);
  if (!entry) return;
  entry.busy = busy;
  const card = cardOf(id);
  card.classList.toggle('busy', busy);
  if (busy) card.setAttribute('aria-busy', 'true');
  else card.removeAttribute('aria-busy');
}

// The current comment's decision was just sent: the next comment not on its way (the one after it, else the one
// before) is current at once, as it would be when the answer takes the card away, so a fast moderator reads and
// decides on while the decision travels. A key acts on the comment marked current when it is pressed, never on
// one that becomes current later. With no other comment to go on to, the current one stays (its keys are refused).
export function moveOnFrom(ids) {
  if (!board.current || !ids.includes(board.current)) return;
  const shown = order();
  const index = shown.indexOf(board.current);
  const free = (id) => !items.get(id).busy;
  const next = shown.slice(index + 1).find(free) ?? shown.slice(0, index).reverse().find(free);
  if (!next) return;
  const active = document.activeElement;
  const hadFocus = !active || active === document.body || items.get(board.current).root.contains(active);
  setCurrent(next, { focus: hadFocus });
}

export function setCurrent(id, { focus = true } = {}) {
  if (!items.has(id)) return;
  if (board.current !== id) {
    board.atEnd = null; // another comment: its end of the page is said again
    if (board.current && items.has(board.current)) {
      const previous = cardOf(board.current);
      previous.classList.remove('current');
      previous.removeAttribute('aria-current');
    }
    board.current = id;
    const card = cardOf(id);
    card.classList.add('current');
    card.setAttribute('aria-current', 'true');
  }
  if (focus) {
    cardOf(id).focus();
    cardOf(id).scrollIntoView({ block: 'nearest' });
  }
}

export function move(step) {
  const ids = order();
  if (!ids.length) return;
  const index = ids.indexOf(board.current);
  const next = index < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, index + step));
  if (next === index) {
    // at an end: said once (j held down repeats), not silently ignored
    if (board.atEnd !== ids[next]) announce(step > 0 ? T.status_last_comment : T.status_first_comment);
    board.atEnd = ids[next];
    return;
  }
  setCurrent(ids[next]);
}

function mark(id, selected) {
  const entry = items.get(id);
  if (!entry) return;
  entry.selected = selected;
  entry.root.querySelector('.select-box').checked = selected;
  cardOf(id).classList.toggle('selected', selected);
}

export function setSelected(id, selected) {
  mark(id, selected);
  updateBulkbar({ announce: true });
}

export const selectedIds = () => order().filter((id) => items.get(id).selected);

// `announce`: the moderator changed the selection, and a screen reader hears how many are selected now (once,
// politely). Redrawn for anything else (a comment decided or taken away), the bar changes without a word.
// While the bar sits at the top of the window, what gets the focus is scrolled into view below it, not under it
// (WCAG 2.4.11): its height, which grows as it wraps in a narrow window.
new ResizeObserver(() => {
  document.documentElement.style.scrollPaddingTop = view.bulkbar.hidden ? '' : `${view.bulkbar.offsetHeight + 16}px`;
}).observe(view.bulkbar);

export function updateBulkbar({ announce = false } = {}) {
  const count = selectedIds().length;
  // A button of the bar had the focus (a bulk decision, "clear selection"): it goes on at the current comment,
  // not at the top of the page.
  const hadFocus = count === 0 && !view.bulkbar.hidden && view.bulkbar.contains(document.activeElement);
  view.bulkbar.hidden = count === 0;
  view.selectionCount.textContent = tn('selection_count', count);
  if (announce && count !== board.selected) {
    view.selectionLive.textContent = count ? tn('selection_count', count) : T.selection_cleared;
  } else if (count !== board.selected) {
    view.selectionLive.textContent = ''; // not left saying "2 selected" to one reading the page (not announced)
  }
  board.selected = count;
  if (hadFocus && board.current) setCurrent(board.current);
}

// The control that had the focus went away (hidden, or its card removed): the current comment takes it.
export function focusCurrentIfLost() {
  const active = document.activeElement;
  if (active && active !== document.body) return;
  if (board.current) setCurrent(board.current);
}

// Every comment on the page selected, or (when all already are) none.
export function toggleSelectAll() {
  const ids = order();
  const all = ids.length > 0 && ids.every((id) => items.get(id).selected);
  for (const id of ids) mark(id, !all);
  updateBulkbar({ announce: true });
}

export function clearSelection() {
  for (const id of selectedIds()) mark(id, false);
  updateBulkbar({ announce: true });
}

export function removeCard(id) {
  const entry = items.get(id);
  if (!entry) return;
  const ids = order();
  const index = ids.indexOf(id);
  const wasCurrent = board.current === id;
  const hadFocus = entry.root.contains(document.activeElement);
  if (hadFocus && isTextField(document.activeElement)) typingCut.until = performance.now() + TYPING_PAUSE_MS;
  entry.root.remove();
  items.delete(id);
  rememberHeld();
  if (wasCurrent) {
    board.current = null;
    const rest = ids.filter((other) => other !== id);
    const next = rest[Math.min(index, rest.length - 1)];
    if (next) setCurrent(next, { focus: hadFocus || document.activeElement === document.body });
  }
  updateBulkbar();
}

export function clearCards() {
  for (const id of order()) removeCard(id);
}

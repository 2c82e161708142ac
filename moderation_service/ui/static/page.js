// What the page was given (configuration and strings), its fixed elements, and its status and error messages.
import { format } from './api.js';

export const config = JSON.parse(document.getElementById('moderate-config').textContent);
export const T = config.strings;
const pluralRules = new Intl.PluralRules(config.lang);
export const t = (key, values) => format(T[key] ?? key, values);
export const tn = (key, n, values = {}) => t(`${key}_${pluralRules.select(n) === 'one' ? 'one' : 'other'}`, { n, ...values });

export const $ = (id) => document.getElementById(id);
export const view = {
  cards: $('cards'),
  status: $('status'),
  alert: $('alert'),
  alertSignIn: $('alert-sign-in'),
  alertDismiss: $('alert-dismiss'),
  bulkbar: $('bulkbar'),
  selectionCount: $('selection-count'),
  selectionLive: $('selection-live'),
  empty: $('empty'),
  emptyText: $('empty-text'),
  depth: $('depth'),
  help: $('help'),
  undo: $('undo'),
};

export function announce(text) {
  view.status.textContent = '';
  // a fresh text node, so that the same message twice is announced twice
  requestAnimationFrame(() => { view.status.textContent = text; });
}

// Messages add up until dismissed or the next decision: a bulk decision (or a round of lease renewals) may
// have to tell about several comments, and each one that left the page is named.
export function showError(text, { signIn = false } = {}) {
  const shown = Array.from(view.alert.children, (line) => line.textContent);
  if (!shown.includes(text)) {
    const line = document.createElement('p');
    line.textContent = text;
    view.alert.append(line);
  }
  view.alert.classList.add('visible');
  if (signIn) view.alertSignIn.hidden = false;
  view.alertDismiss.hidden = false;
}

export function clearError() {
  view.alert.textContent = '';
  view.alert.classList.remove('visible');
  view.alertSignIn.hidden = true;
  view.alertDismiss.hidden = true;
}

// What the page was given (configuration and strings), its fixed elements, and its status and error messages.
import { ApiError, format } from './api.js';

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

// What a 422 names, field by field, under the page's own names for the fields (the service's explanation as
// it gave it): not the JSON of its answer.
function invalidFields(error) {
  const names = { site_id: T.filter_site, order: T.filter_order, post: T.filter_post, reason: T.filter_reason,
    note: T.note_label };
  const fields = Object.entries(error.details.fields || {});
  if (!fields.length) return error.message;
  return fields.map(([name, problems]) => `${names[name] ?? name}: ${[problems].flat(Infinity).join(' ')}`).join(' ');
}

export function describe(error) {
  if (!(error instanceof ApiError)) return t('error_generic', { message: String(error) });
  if (error.code === 'network') return T.error_network;
  if (error.status === 401) return T.error_unauthenticated;
  if (error.code === 'csrf_token_invalid') return T.error_csrf;
  if (error.status === 403) return t('error_forbidden', { message: error.message });
  if (error.status === 422) return t('error_invalid', { message: invalidFields(error) });
  if (error.status === 503) return T.error_storage;
  return t('error_generic', { message: error.message });
}

export function report(error) {
  showError(describe(error), { signIn: error instanceof ApiError && error.status === 401 });
}

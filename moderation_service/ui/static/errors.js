// What went wrong, in the page's language. The service's answers carry a machine-readable `code` (see
// moderation_service/exceptions.py and api/middlewares.py); each code the page can meet has its own words in
// strings/. The service's own (English) message is shown only for a code the page does not know, as a detail,
// so that nothing is silently dropped.
import { ApiError } from './api.js';
import { config, showError, T, t } from './page.js';

// code -> the page's message for it.
const MESSAGES = {
  network: 'error_network',
  unauthenticated: 'error_unauthenticated',
  csrf_token_invalid: 'error_csrf',
  forbidden: 'error_forbidden',
  not_found: 'error_gone',
  storage_unavailable: 'error_storage',
  malformed_request: 'error_malformed',
  payload_too_large: 'error_too_large',
  request_entity_too_large: 'error_too_large', // aiohttp's own refusal of a body over the limit
  too_many_requests: 'error_throttled',
  internal_error: 'error_internal',
  // a comment that is no longer the moderator's to decide (or to take back)
  claimed_by_other: 'conflict_claimed_by_other',
  already_decided: 'conflict_already_decided',
  reviewed_elsewhere: 'conflict_reviewed_elsewhere',
  decided_by_model: 'conflict_decided_by_model',
  not_reopenable: 'conflict_not_reopenable',
  edited: 'conflict_edited',
  changed: 'conflict_changed',
  not_decided: 'conflict_not_decided',
  lease_expired: 'conflict_lease_lost',
  not_claimed: 'conflict_lease_lost',
};

// Answers without a code of the service (a proxy's error page): the status says enough.
const BY_STATUS = {
  401: 'error_unauthenticated',
  413: 'error_too_large',
  429: 'error_throttled',
  500: 'error_internal',
  502: 'error_network',
  503: 'error_storage',
  504: 'error_network',
};

// The fields a request of the page can name in a 422, under the page's own names.
const FIELD_NAMES = { site_id: 'filter_site', order: 'filter_order', post: 'filter_post', reason: 'filter_reason',
  author: 'filter_author' };

// One field a 422 named. The page's filters come from its address, so their value is the page's own; a field the
// page does not know keeps the service's explanation.
function invalidField(name, problems) {
  const { filters } = config;
  if (name === 'reason') return t('invalid_reason', { value: filters.reason });
  if (name === 'note') return T.invalid_note;
  if (name === 'categories') return T.invalid_categories;
  if (Object.hasOwn(FIELD_NAMES, name)) return t('invalid_filter', { field: T[FIELD_NAMES[name]], value: filters[name] ?? '' });
  return t('invalid_unknown', { field: name, detail: [problems].flat(Infinity).join(' ') });
}

function invalidFields(error) {
  const fields = Object.entries(error.details.fields || {});
  if (!fields.length) return t('error_unknown', { status: error.status, message: error.message });
  return t('error_invalid', {
    message: fields.map(([name, problems]) => invalidField(name, problems)).join(' '),
  });
}

export function describe(error) {
  if (!(error instanceof ApiError)) return t('error_generic', { message: String(error) });
  if (error.code === 'invalid_fields') return invalidFields(error);
  // own keys only: a code such as 'constructor' is not one of the tables'
  const key = Object.hasOwn(MESSAGES, error.code) ? MESSAGES[error.code]
    : error.code === `http_${error.status}` && Object.hasOwn(BY_STATUS, error.status) ? BY_STATUS[error.status]
      : undefined;
  if (key) return T[key];
  return t('error_unknown', { status: error.status, message: error.message });
}

export function report(error) {
  showError(describe(error), { signIn: error instanceof ApiError && error.status === 401 });
}

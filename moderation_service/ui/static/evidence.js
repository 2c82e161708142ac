// What a signal found (its reason's `evidence`, structured data from the service), in the page's language:
// "Signal „Links“: Spam +0,3" alone does not say that it was the author's website. Evidence a release adds
// later, and a signal this page does not know, are left out rather than shown as the service's field names.
import { format } from './api.js';

export class EvidenceWriter {
  constructor(strings, lang) {
    this.T = strings;
    this.plural = new Intl.PluralRules(lang);
    this.number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    this.list = new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' });
    try {
      this.languages = new Intl.DisplayNames([lang], { type: 'language' });
    } catch {
      this.languages = null;
    }
  }

  // `key_one` / `key_other` by the count `n`.
  counted(key, n, values = {}) {
    const form = this.plural.select(Number(n)) === 'one' ? 'one' : 'other';
    return format(this.T[`${key}_${form}`], { n: this.number.format(Number(n)), ...values });
  }

  quoted(words) {
    return this.list.format(words.map((word) => format(this.T.word_quoted, { word: String(word) })));
  }

  language(code) {
    try {
      return (this.languages && this.languages.of(String(code))) || String(code);
    } catch {
      return String(code); // not a language code the browser can name
    }
  }

  minutes(seconds) {
    return this.number.format(Math.round(Number(seconds) / 60));
  }

  // The evidence of one signal reason, or '' when there is none this page can say.
  describe(reason) {
    const found = reason.evidence;
    if (!found || typeof found !== 'object') return '';
    const name = String(reason.name).startsWith('words.') ? 'words' : String(reason.name);
    const parts = (this[`_${name}`] ? this[`_${name}`](found) : []).filter(Boolean);
    return parts.join('; ');
  }

  _timing(found) {
    if (!Number.isFinite(Number(found.seconds_to_submit))) return [];
    return [format(this.T.evidence_timing, {
      seconds: this.number.format(Number(found.seconds_to_submit)), minimum: this.number.format(Number(found.minimum)),
    })];
  }

  _links(found) {
    const shorteners = Array.isArray(found.shorteners) ? found.shorteners : [];
    return [
      Number(found.links) > 0 && this.counted('evidence_links', found.links),
      found.link_in_author_name && this.T.evidence_link_in_name,
      found.bbcode && this.T.evidence_bbcode,
      shorteners.length && format(this.T.evidence_shorteners, { hosts: shorteners.join(', ') }),
      found.link_only && this.T.evidence_link_only,
      found.author_url && this.T.evidence_author_url,
    ];
  }

  _words(found) {
    const matched = Array.isArray(found.matched) ? found.matched : [];
    return [matched.length && format(this.T.evidence_matched, { words: this.quoted(matched) })];
  }

  _language(found) {
    if (!found.detected) return [];
    const served = Array.isArray(found.served) ? found.served : [];
    return [format(this.T.evidence_language, {
      detected: this.language(found.detected), served: this.list.format(served.map((code) => this.language(code))),
    })];
  }

  _reputation(found) {
    const known = Object.entries(found.known_spam || {}).filter(([kind]) => this.T[`evidence_known_${kind}`]);
    if (!known.length) return [];
    const sources = known.map(([kind, n]) => format(this.T.evidence_times, {
      what: this.T[`evidence_known_${kind}`], n: this.number.format(Number(n) || 0),
    }));
    return [format(this.T.evidence_reputation, { sources: this.list.format(sources) })];
  }

  _trusted_author(found) {
    const [approved, rejected] = [found.approved, found.rejected].map((n) => this.number.format(Number(n) || 0));
    return [format(this.T.evidence_trusted, { approved, rejected })];
  }

  _duplicates(found) {
    const minutes = this.minutes(found.window_seconds);
    const said = this.counted('evidence_duplicates', found.similar_recent, { minutes });
    return [said, found.linked ? this.T.evidence_duplicates_linked : this.T.evidence_duplicates_unlinked];
  }

  _flood(found) {
    return [format(this.T.evidence_flood, {
      ip: this.number.format(Number(found.from_ip) || 0), author: this.number.format(Number(found.from_author) || 0),
      minutes: this.minutes(found.window_seconds),
    })];
  }
}

// One card per claimed comment, cloned from the page's <template>. Comments are hostile input: every
// value goes in as text (textContent) and only http(s) URLs become links.
import { format } from './api.js';
import { EvidenceWriter } from './evidence.js';

export function httpUrl(value) {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

// The language the blog names for a comment ("de", "en-GB"), for its text's lang attribute: a screen reader
// then reads a German comment with a German voice on an English page. Anything else is left out.
export function languageTag(value) {
  return typeof value === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(value) ? value : null;
}

// The author details an edit may change besides the text, with the page's label for each.
const AUTHOR_FIELDS = [['author_name', 'label_name'], ['author_email', 'label_email'], ['author_url', 'label_website']];

// A reason's span [start, end) in the comment's code points, as the service counts them.
function validSpan(start, end, chars) {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= chars.length;
}

// The words a reason highlighted, strongest first (the order the service gives), each once.
function wordsOf(reason, chars) {
  const words = [];
  for (const span of reason.spans || []) {
    const [start, end] = Array.isArray(span) ? span.map(Number) : [];
    const word = validSpan(start, end, chars) ? chars.slice(start, end).join('') : '';
    if (word && !words.includes(word)) words.push(word);
  }
  return words;
}

export class CardRenderer {
  // `filters`: the page's filters (a card links to its author's other comments unless the page shows only those).
  constructor(template, strings, lang, filters = {}) {
    this.template = template;
    this.filters = filters;
    this.T = strings;
    this.lang = lang;
    this.dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    this.relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
    this.number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
    this.signed = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, signDisplay: 'exceptZero' });
    this.evidence = new EvidenceWriter(strings, lang);
  }

  percent(value) {
    return format(this.T.percent, { n: Math.round(Number(value) * 100) });
  }

  attribute(name) {
    return this.T[`attr_${name}`] || name;
  }

  // Erased on the person's request: the name is gone for good, and is not merely missing.
  author(item) {
    if (item.personal_data_erased_at) return this.T.author_erased;
    return item.comment.author_name || this.T.author_anonymous;
  }

  render(item, index) {
    const fragment = this.template.content.cloneNode(true);
    const root = fragment.querySelector('li');
    const card = root.querySelector('.card');
    const comment = item.comment;
    root.dataset.id = item.id;
    const headingId = `card-${index}-title`;
    card.setAttribute('aria-labelledby', headingId);
    const heading = card.querySelector('.author');
    heading.id = headingId;
    heading.textContent = format(this.T.comment_by, { author: this.author(item) });

    this.fillEmail(card.querySelector('.author-email'), comment.author_email);
    this.fillLink(card.querySelector('.author-url'), comment.author_url, comment.author_url);
    this.fillLink(card.querySelector('.post'), comment.permalink, comment.post_id || comment.permalink);
    this.fillTime(card.querySelector('.time'), comment.submitted_at || item.received_at);
    card.querySelector('.site').textContent = item.site_id;
    this.fillContent(card.querySelector('.content'), comment.content, item.reasons);
    if (languageTag(comment.lang)) card.querySelector('.content').lang = languageTag(comment.lang);
    this.fillEarlier(card.querySelector('.earlier'), item);
    this.fillScores(card.querySelector('.scores'), item);
    this.fillReasons(card.querySelector('.reasons'), item.reasons, comment.content);
    this.fillHistory(card.querySelector('.history'), item.author_history);
    this.fillAuthorLink(card.querySelector('.author-filter'), item);
    if (item.personal_data_erased_at) this.fillErased(card, item.personal_data_erased_at);
    return root;
  }

  // The person asked the blog to erase their data: say so where their name, e-mail and website were, so that
  // empty fields do not pass for a fault. Which earlier decisions were theirs cannot be known any more.
  fillErased(card, iso) {
    const when = new Date(iso);
    const note = card.querySelector('.erased');
    note.textContent = format(this.T.personal_data_erased, {
      when: Number.isNaN(when.getTime()) ? this.T.missing : this.dateFormat.format(when),
    });
    note.hidden = false;
    for (const detail of card.querySelectorAll('.author-detail')) detail.hidden = true;
    card.querySelector('.history').textContent = this.T.history_erased;
  }

  fillEmail(target, email) {
    if (!email) {
      target.textContent = this.T.missing;
    } else if (/^[^\s@]+@[^\s@]+$/.test(email)) {
      const link = document.createElement('a');
      // Only the address: a typed '?', '#', '&' or '%' must not add a recipient (?bcc=) or text (&body=) to
      // the mail, nor decode into one.
      link.href = `mailto:${email.replace(/[?#&%]/g, encodeURIComponent)}`;
      link.textContent = email;
      target.append(link);
    } else {
      target.textContent = email;
    }
  }

  fillLink(target, url, text) {
    if (!url && !text) {
      target.textContent = this.T.missing;
      return;
    }
    const href = httpUrl(url);
    if (!href) {
      target.textContent = text || url;
      if (url) target.append(` ${this.T.unsafe_link}`);
      return;
    }
    const link = document.createElement('a');
    link.href = href;
    link.rel = 'noopener noreferrer nofollow ugc';
    link.target = '_blank';
    link.textContent = text || url;
    target.append(link);
  }

  fillTime(target, iso) {
    const when = iso ? new Date(iso) : null;
    if (!when || Number.isNaN(when.getTime())) {
      target.textContent = this.T.missing;
      return;
    }
    target.dateTime = when.toISOString();
    target.title = when.toISOString();
    target.textContent = `${this.dateFormat.format(when)} (${this.ago(when)})`;
  }

  ago(when) {
    const seconds = (when.getTime() - Date.now()) / 1000;
    const steps = [[60, 'second'], [3600, 'minute'], [86400, 'hour'], [Infinity, 'day']];
    const divisors = { second: 1, minute: 60, hour: 3600, day: 86400 };
    const [, unit] = steps.find(([limit]) => Math.abs(seconds) < limit);
    return this.relative.format(Math.round(seconds / divisors[unit]), unit);
  }

  // Reasons may name character offsets (code points, as the service counts them) to highlight. A score's
  // words come with how much each moved it: those that moved it at least half as much as the strongest word
  // are marked strong, the others light, so the words that decided stand out. A signal's spans are strong.
  fillContent(target, text, reasons) {
    const chars = Array.from(text || '');
    const marks = [];
    for (const reason of reasons || []) {
      const weights = (reason.phrases || []).map((phrase) => Number(phrase.weight));
      const top = Math.max(...weights.filter(Number.isFinite), 0);
      (reason.spans || []).forEach((span, i) => {
        const [start, end] = span.map(Number);
        if (validSpan(start, end, chars)) {
          const strong = !(top > 0 && Number.isFinite(weights[i])) || weights[i] >= top / 2;
          marks.push({ start, end, names: [reason.name], strong });
        }
      });
    }
    marks.sort((a, b) => a.start - b.start);
    const merged = [];
    for (const mark of marks) {
      const last = merged[merged.length - 1];
      if (last && mark.start <= last.end) {
        last.end = Math.max(last.end, mark.end);
        last.strong = last.strong || mark.strong;
        if (!last.names.includes(mark.names[0])) last.names.push(mark.names[0]);
      } else {
        merged.push({ ...mark });
      }
    }
    let at = 0;
    for (const { start, end, names, strong } of merged) {
      if (start > at) target.append(chars.slice(at, start).join(''));
      const highlight = document.createElement('mark');
      highlight.textContent = chars.slice(start, end).join('');
      highlight.className = strong ? 'strong' : 'light';
      highlight.title = format(this.T.highlight_title, { names: names.map((name) => this.attribute(name)).join(', ') });
      target.append(highlight);
      at = end;
    }
    target.append(chars.slice(at).join(''));
  }

  // What became of a version: published, marked spam or waiting (the model), or who decided what.
  fate(version) {
    if (version.decided) return format(this.T[`fate_${version.decided.action}`], { by: version.decided.by });
    return this.T[`fate_status_${version.status}`] || version.status;
  }

  // An edited comment: which version this is, and the earlier ones (newest first) with their text, the author
  // details they had where those changed, and their fate.
  fillEarlier(target, item) {
    const versions = item.earlier_versions || [];
    if (!versions.length) return;
    target.hidden = false;
    target.querySelector('.earlier-summary').textContent = format(
      this.T.edited_summary, { revision: item.revision, before: this.fate(versions[0]) });
    const list = target.querySelector('.earlier-list');
    versions.forEach((version, i) => {
      const comment = version.comment || {};
      const newer = (i === 0 ? item.comment : versions[i - 1].comment) || {};
      const entry = document.createElement('li');
      const title = document.createElement('p');
      title.textContent = format(this.T.earlier_version, { revision: version.revision, fate: this.fate(version) });
      entry.append(title);
      const changed = AUTHOR_FIELDS.filter(([field]) => (comment[field] || '') !== (newer[field] || ''));
      if (changed.length) {
        const author = document.createElement('p');
        author.className = 'earlier-author';
        author.textContent = changed.map(([field, label]) => `${this.T[label]}: ${comment[field] || this.T.missing}`)
          .join(' · ');
        entry.append(author);
      }
      const text = document.createElement('blockquote');
      text.dir = 'auto';
      if (languageTag(comment.lang)) text.lang = languageTag(comment.lang);
      text.textContent = comment.content || '';
      entry.append(text);
      list.append(entry);
    });
  }

  // The model's scores. The spam score that decided is the model's moved by the signals (links, a repeated
  // text): where that differs, both are shown, or "Spam 4 %" would stand marked beside "Spam 55 % ≥ 50 %".
  fillScores(target, item) {
    const fired = new Set((item.reasons || []).map((reason) => reason.name));
    const spam = (item.reasons || []).find((reason) => reason.kind === 'score' && reason.name === 'spam');
    const scores = Object.entries(item.scores || {}).sort(([, a], [, b]) => b - a);
    for (const [name, value] of scores) {
      const entry = document.createElement('li');
      entry.className = fired.has(name) ? 'score high' : 'score';
      entry.dataset.attribute = name;
      const [model, moved] = [value, spam?.value].map((n) => this.percent(n));
      entry.textContent = name === 'spam' && spam && moved !== model
        ? format(this.T.score_with_signals, { name: this.attribute(name), model, value: moved })
        : `${this.attribute(name)} ${model}`;
      target.append(entry);
    }
  }

  // Each reason with the words it highlighted in the text: which score (or signal) a highlighted word drove is
  // not left to the mark's tooltip, which only a mouse shows; it is text, read by a screen reader with the
  // reason and seen by a keyboard user, and it adds no tab stop.
  fillReasons(target, reasons, text) {
    const chars = Array.from(text || '');
    for (const reason of reasons || []) {
      const entry = document.createElement('li');
      entry.dataset.kind = reason.kind;
      entry.textContent = this.reason(reason);
      const found = reason.kind === 'signal' ? this.evidence.describe(reason) : '';
      if (found) {
        const evidence = document.createElement('span');
        evidence.className = 'reason-evidence';
        evidence.textContent = format(this.T.reason_evidence, { evidence: found });
        entry.append(' ', evidence);
      }
      const words = wordsOf(reason, chars);
      if (words.length) {
        const list = document.createElement('span');
        list.className = 'reason-words';
        const quoted = words.map((word) => format(this.T.word_quoted, { word }));
        list.textContent = format(this.T.reason_words, { words: quoted.join(', ') });
        entry.append(' ', list);
      }
      target.append(entry);
    }
  }

  // A score that reached its threshold, a signal that fired, or any later kind with a value and threshold.
  reason(reason) {
    const effect = this.T[`effect_${reason.effect}`] || reason.effect;
    const name = this.attribute(reason.name);
    if (reason.kind === 'score') {
      const value = this.percent(reason.value);
      return format(this.T.reason_score, { name, value, threshold: this.percent(reason.threshold), effect });
    }
    if (reason.kind === 'signal') {
      const [spam, hold] = [reason.spam, reason.hold].map((n) => this.signed.format(Number(n) || 0));
      return format(this.T.reason_signal, { name: this.attribute(reason.name), spam, hold });
    }
    const [value, threshold] = [reason.value, reason.threshold].map((n) => (n == null ? n : this.number.format(n)));
    return format(this.T.reason_points, { name, value, threshold, effect });
  }

  // "All waiting comments by this person": the queue filtered by the author's key (a keyed hash, not the
  // address, and per site), on the comment's site and in the same order.
  fillAuthorLink(target, item) {
    if (!item.author_key || this.filters.author === item.author_key) return;
    const query = new URLSearchParams({ author: item.author_key, site_id: item.site_id });
    if (this.filters.order) query.set('order', this.filters.order);
    // "show everyone's" on that page leads back to this page's filters
    const back = new URLSearchParams(window.location.search);
    back.delete('author');
    back.delete('back');
    if (back.toString()) query.set('back', back.toString());
    target.href = `/moderate?${query}`;
    target.textContent = this.T.author_filter_link;
    target.setAttribute('aria-label', format(this.T.author_filter_label, { author: this.author(item) }));
    target.hidden = false;
  }

  fillHistory(target, history) {
    const counts = { approved: 0, rejected: 0, spam: 0, ...(history || {}) };
    target.textContent = counts.approved + counts.rejected + counts.spam === 0
      ? this.T.history_none
      : format(this.T.history_counts, counts);
  }
}

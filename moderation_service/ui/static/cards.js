// One card per claimed comment, cloned from the page's <template>. Comments are hostile input: every
// value goes in as text (textContent) and only http(s) URLs become links.
import { format } from './api.js';
import { fillContent } from './highlights.js';
import { ReasonWriter } from './reasons.js';
import { httpUrl, languageTag } from './untrusted.js';
import { VersionWriter } from './versions.js';

export class CardRenderer {
  // `filters`: the page's filters (a card links to its author's other comments unless the page shows only those).
  constructor(template, strings, lang, filters = {}) {
    this.template = template;
    this.filters = filters;
    this.T = strings;
    this.lang = lang;
    this.dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
    this.relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
    this.reasons = new ReasonWriter(strings, lang);
    this.versions = new VersionWriter(strings);
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
    fillContent(card.querySelector('.content'), comment.content, item.reasons, (names) => format(
      this.T.highlight_title, { names: names.map((name) => this.reasons.attribute(name)).join(', ') }));
    if (languageTag(comment.lang)) card.querySelector('.content').lang = languageTag(comment.lang);
    this.versions.fillEarlier(card.querySelector('.earlier'), item);
    this.reasons.fillScores(card.querySelector('.scores'), item);
    this.reasons.fillReasons(card.querySelector('.reasons'), item.reasons, comment.content);
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

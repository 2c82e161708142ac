// An edited comment's earlier versions, and what became of each.
import { format } from './api.js';
import { languageTag } from './untrusted.js';

// The author details an edit may change besides the text, with the page's label for each.
const AUTHOR_FIELDS = [['author_name', 'label_name'], ['author_email', 'label_email'], ['author_url', 'label_website']];

export class VersionWriter {
  constructor(strings) {
    this.T = strings;
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
}

// A card's scores and the reasons its comment was held, in the page's language.
import { format } from './api.js';
import { EvidenceWriter } from './evidence.js';
import { wordsOf } from './highlights.js';

export class ReasonWriter {
  constructor(strings, lang) {
    this.T = strings;
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
        list.textContent = format(this.T.reason_words, { words: this.evidence.quoted(words) });
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
}

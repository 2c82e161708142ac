// The words of a comment that its reasons point at, marked in its text and named one by one.

// A reason's span [start, end) in the comment's code points, as the service counts them.
function validSpan(start, end, chars) {
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= chars.length;
}

// The words a reason highlighted, strongest first (the order the service gives), each once.
export function wordsOf(reason, chars) {
  const words = [];
  for (const span of reason.spans || []) {
    const [start, end] = Array.isArray(span) ? span.map(Number) : [];
    const word = validSpan(start, end, chars) ? chars.slice(start, end).join('') : '';
    if (word && !words.includes(word)) words.push(word);
  }
  return words;
}

// Reasons may name character offsets (code points, as the service counts them) to highlight. A score's
// words come with how much each moved it: those that moved it at least half as much as the strongest word
// are marked strong, the others light, so the words that decided stand out. A signal's spans are strong.
// `titleOf(names)`: a mark's tooltip, from the names of the reasons that marked it.
export function fillContent(target, text, reasons, titleOf) {
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
    highlight.title = titleOf(names);
    target.append(highlight);
    at = end;
  }
  target.append(chars.slice(at).join(''));
}

// A comment's values are hostile input: only http(s) URLs become links, and only a well-formed language tag
// becomes a lang attribute.

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

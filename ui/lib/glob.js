// Event type filters: `*` matches any run of characters, `?` one character, everything else itself.

export function globToRegExp(pattern) {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** A matcher for a type filter; an empty filter matches everything. */
export function typeMatcher(pattern) {
  const trimmed = (pattern ?? '').trim();
  if (trimmed === '' || trimmed === '*') return () => true;
  const re = globToRegExp(trimmed);
  return (type) => re.test(type);
}

/**
 * The part of a type filter the relay can apply itself (exact, or one trailing `*`), so the initial list
 * and the live stream only carry matching events; any other glob is applied in the browser.
 */
export function serverTypeFilter(pattern) {
  const trimmed = (pattern ?? '').trim();
  if (trimmed === '' || trimmed === '*' || trimmed.includes('?')) return undefined;
  const star = trimmed.indexOf('*');
  return star === -1 || star === trimmed.length - 1 ? trimmed : undefined;
}

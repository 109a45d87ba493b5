// Globs have one meaning wherever hookrelay takes one (event source and type filters, endpoint and
// workflow filters, AI model routing, the console): `*` matches any run of characters (none included),
// `?` exactly one character, every other character itself; an empty pattern or `*` alone matches
// everything. README "Globs". Plain JS with no imports: the browser loads this file as it is, and the
// server imports the same file (glob.d.ts gives it types).

/** Does the pattern contain a wildcard (`*` or `?`)? */
export function isGlob(pattern) {
  return pattern.includes('*') || pattern.includes('?');
}

/** The whole-string RegExp a glob stands for. */
export function globToRegExp(pattern) {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'su');
}

/** The same glob as a SQL LIKE pattern (escape character `\`), or null when it matches everything. */
export function globToLike(pattern) {
  if (pattern === '' || pattern === '*') return null;
  return pattern.replace(/[\\%_*?]/g, (c) => (c === '*' ? '%' : c === '?' ? '_' : `\\${c}`));
}

const compiled = new Map();
const MAX_COMPILED = 1000;

/** Does `text` match the glob? Exact names and one trailing `*` (the common cases) need no RegExp. */
export function globMatches(pattern, text) {
  if (pattern === undefined || pattern === '' || pattern === '*') return true;
  if (!isGlob(pattern)) return pattern === text;
  const star = pattern.indexOf('*');
  if (star === pattern.length - 1 && !pattern.includes('?')) return text.startsWith(pattern.slice(0, -1));
  let re = compiled.get(pattern);
  if (!re) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    re = globToRegExp(pattern);
    compiled.set(pattern, re);
  }
  return re.test(text);
}

/** A matcher for the console's type filter box (surrounding blanks ignored); empty matches everything. */
export function typeMatcher(pattern) {
  const trimmed = (pattern ?? '').trim();
  return (type) => globMatches(trimmed, type);
}

/** The type filter the console asks the relay to apply (it applies every glob), or none for "everything". */
export function serverTypeFilter(pattern) {
  const trimmed = (pattern ?? '').trim();
  return trimmed === '' || trimmed === '*' ? undefined : trimmed;
}

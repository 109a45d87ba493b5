// Globs have one meaning wherever hookrelay takes one (event source and type filters, endpoint and
// workflow filters, AI model routing, the console): `*` matches any run of characters (none included),
// `?` exactly one character, every other character itself; an empty pattern or `*` alone matches
// everything. README "Globs". Plain JS with no imports: the browser loads this file as it is, and the
// server imports the same file (glob.d.ts gives it types).

/** Does the pattern contain a wildcard (`*` or `?`)? */
export function isGlob(pattern) {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * Matches by walking both strings once per `*` tried (at most pattern × text steps), not with a
 * RegExp: patterns come from API callers, and a backtracking RegExp built from one such as
 * `*a*a*a*a*b` could take a very long time on a long type.
 */
function wildcardMatch(pattern, text) {
  const p = [...pattern];
  const t = [...text];
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = ti;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** The same glob as a SQL LIKE pattern (escape character `\`), or null when it matches everything. */
export function globToLike(pattern) {
  if (pattern === '' || pattern === '*') return null;
  return pattern.replace(/[\\%_*?]/g, (c) => (c === '*' ? '%' : c === '?' ? '_' : `\\${c}`));
}

const matchers = new Map();
const MAX_MATCHERS = 1000;
const everything = () => true;

/** A matcher for one glob (kept for the next call): names and one trailing `*` take a shortcut. */
export function globMatcher(pattern) {
  let matcher = matchers.get(pattern);
  if (matcher) return matcher;
  if (pattern === '' || pattern === '*') matcher = everything;
  else if (!isGlob(pattern)) matcher = (text) => text === pattern;
  else if (pattern.indexOf('*') === pattern.length - 1 && !pattern.includes('?')) {
    const prefix = pattern.slice(0, -1);
    matcher = (text) => text.startsWith(prefix);
  } else {
    matcher = (text) => wildcardMatch(pattern, text);
  }
  if (matchers.size >= MAX_MATCHERS) matchers.clear();
  matchers.set(pattern, matcher);
  return matcher;
}

/** Does `text` match the glob? No pattern matches everything. */
export function globMatches(pattern, text) {
  return pattern === undefined || globMatcher(pattern)(text);
}

/** A matcher for the console's type filter box (surrounding blanks ignored); empty matches everything. */
export function typeMatcher(pattern) {
  return globMatcher((pattern ?? '').trim());
}

/** The type filter the console asks the relay to apply (it applies every glob), or none for "everything". */
export function serverTypeFilter(pattern) {
  const trimmed = (pattern ?? '').trim();
  return trimmed === '' || trimmed === '*' ? undefined : trimmed;
}

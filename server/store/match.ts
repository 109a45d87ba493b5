/** `response.*` matches `response.completed`; `*` matches all; anything else is exact. */
export function typeMatches(pattern: string | undefined, type: string): boolean {
  if (pattern === undefined || pattern === '' || pattern === '*') return true;
  if (pattern.endsWith('*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export function anyTypeMatches(patterns: readonly string[] | undefined, type: string): boolean {
  return !patterns || patterns.length === 0 || patterns.some((p) => typeMatches(p, type));
}

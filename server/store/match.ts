import { globMatches } from '../../ui/lib/glob.js';

// Globs mean the same everywhere (ui/lib/glob.js, README "Globs"): `*` any run of characters, `?` one.

/** Does the event type (or source name) match the glob? An empty pattern or `*` matches everything. */
export function typeMatches(pattern: string | undefined, type: string): boolean {
  return globMatches(pattern, type);
}

export function anyTypeMatches(patterns: readonly string[] | undefined, type: string): boolean {
  return !patterns || patterns.length === 0 || patterns.some((p) => typeMatches(p, type));
}

// Types for glob.js (plain JS, loaded by the browser as it is and imported by the server).
export function isGlob(pattern: string): boolean;
export function globToLike(pattern: string): string | null;
export function globMatcher(pattern: string): (text: string) => boolean;
export function globMatches(pattern: string | undefined, text: string): boolean;
export function typeMatcher(pattern: string | undefined): (type: string) => boolean;
export function serverTypeFilter(pattern: string | undefined): string | undefined;

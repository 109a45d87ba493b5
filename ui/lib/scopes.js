// What each scope opens (README "Keys"); the console shows a page only when the signed-in key holds
// the scope the page declares (`page.scope`), or `admin`.
export const SCOPES = [
  ['admin', 'everything, including keys'],
  ['events:read', 'events and the live stream'],
  ['events:write', 'send events (POST /v1/events)'],
  ['endpoints', 'endpoints and deliveries'],
  ['workflows', 'workflows and runs'],
  ['ai', 'responses, files, batches'],
  ['usage:read', 'its own AI usage'],
  ['sources', 'sources and the rejection log'],
];

/** The scope each page needs, for pages that do not declare `scope` themselves; unlisted pages: admin. */
const PAGE_SCOPES = {
  events: 'events:read',
  rejections: 'sources',
  sources: 'sources',
  endpoints: 'endpoints',
  workflows: 'workflows',
  responses: 'ai',
  batches: 'ai',
  keys: 'admin',
};

/** True when a principal (GET /v1/keys/self) holds `scope` (admin holds every scope). */
export function allows(self, scope) {
  return self.scopes.includes('admin') || self.scopes.includes(scope);
}

/** The pages the signed-in key may use, in navigation order. */
export function pagesFor(self, pages) {
  return pages.filter((page) => allows(self, page.scope ?? PAGE_SCOPES[page.id] ?? 'admin'));
}

import { h } from '../lib/dom.js';
import { notice, toolbar } from '../lib/parts.js';
import { timeEl } from '../lib/time.js';

const REFRESH_MS = 5000;

/** What each refusal code means for the person reading the log. */
const REASONS = {
  signature_missing: 'No signature header for this source’s scheme.',
  signature_invalid: 'Signature does not match the body with any configured secret.',
  timestamp_out_of_tolerance: 'Signed timestamp too old or too far in the future (replay protection).',
  source_not_found: 'No source with this name is configured.',
  payload_too_large: 'Body larger than limits.bodyBytes.',
  invalid_json: 'Content-Type says JSON but the body does not parse.',
  unsupported_media_type: 'The body’s encoding or charset is not supported.',
  bad_request: 'The request could not be read.',
  store_unavailable: 'The store could not take the write; the sender should retry.',
};

/** The rejected-requests log (GET /v1/rejections, `sources` scope), newest first, refreshed while open. */
export default {
  id: 'rejections',
  title: 'Rejections',
  mount(container, ctx) {
    const status = notice();
    const body = h('tbody');
    const refresh = h('button', { type: 'button', onclick: () => load() }, 'Refresh');
    container.append(
      toolbar('Rejected requests', refresh),
      h(
        'p',
        { class: 'muted' },
        'Requests to /hooks/… that the relay refused. Nothing from them was stored; signature values are shortened.',
      ),
      status,
      h(
        'table',
        { class: 'rejections stack' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['When', 'Source', 'Status', 'Code', 'Reason', 'From', 'Headers'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
    );
    async function load() {
      try {
        const page = await ctx.api('/v1/rejections?limit=200');
        body.replaceChildren(...page.data.map(row));
        status.textContent = page.data.length === 0 ? 'No rejected requests.' : `${page.data.length} most recent.`;
      } catch (error) {
        status.textContent =
          error.code === 'insufficient_scope' ? 'The rejection log needs a key with the "sources" scope.' : error.message;
      }
    }
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  },
};

function row(rejection) {
  const headers = Object.entries(rejection.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
  return h(
    'tr',
    { dataset: { code: rejection.code } },
    h('td', { 'data-label': 'When' }, timeEl(rejection.at)),
    h('td', { 'data-label': 'Source' }, rejection.source),
    h('td', { 'data-label': 'Status' }, String(rejection.status)),
    h('td', { 'data-label': 'Code' }, h('code', {}, rejection.code)),
    h('td', { 'data-label': 'Reason' }, REASONS[rejection.code] ?? ''),
    h('td', { 'data-label': 'From' }, rejection.ip),
    h(
      'td',
      { 'data-label': 'Headers' },
      h('details', {}, h('summary', {}, `${headers.length} headers`), h('pre', {}, headers.join('\n'))),
    ),
  );
}

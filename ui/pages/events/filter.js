import { h } from '../../lib/dom.js';
import { serverTypeFilter, typeMatcher } from '../../lib/glob.js';
import { isInternal } from './badges.js';
import { parsePathQuery, pathMatcher } from './path-query.js';

/**
 * The filter bar: source (with the sources seen so far offered), type glob, free text or a payload path
 * query (`a.b=c`), and whether to show the relay's own (internal) events, hidden by default.
 */
export function createFilterBar(onChange) {
  const sources = h('datalist', { id: 'seen-sources' });
  const source = h('input', { name: 'source', list: 'seen-sources', placeholder: 'all sources', autocomplete: 'off' });
  const type = h('input', { name: 'type', placeholder: 'all types, e.g. response.*', autocomplete: 'off' });
  const text = h('input', {
    name: 'text',
    type: 'search',
    placeholder: 'text, or a payload path: order.amount=5  ( / )',
    autocomplete: 'off',
  });
  const internal = h('input', { name: 'internal', type: 'checkbox' });
  for (const input of [source, type, text]) input.addEventListener('input', () => onChange(input.name));
  internal.addEventListener('change', () => onChange('text'));
  const element = h(
    'form',
    { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Source ', source),
    sources,
    h('label', {}, 'Type ', type),
    h('label', { class: 'grow' }, 'Search ', text),
    h(
      'label',
      { class: 'check', title: 'Events the relay emitted itself (workflow emit, AI, batches)' },
      internal,
      ' Show internal',
    ),
  );
  return {
    element,
    text,
    values: () => ({
      source: source.value.trim(),
      type: type.value.trim(),
      text: text.value.trim(),
      internal: internal.checked,
    }),
    offerSources(names) {
      const known = new Set([...sources.options].map((o) => o.value));
      for (const name of names) if (!known.has(name)) sources.append(h('option', { value: name }));
    },
  };
}

/** What the relay filters (source, and a type it can match itself) before events reach the page. */
export function serverFilters({ source, type }) {
  return { source: source || undefined, type: serverTypeFilter(type) };
}

/**
 * Everything, applied in the page: source, any type glob, internal or not, and the search box: a payload
 * path query when it reads as one (`a.b=c`, `a.b!=c`), otherwise text over payload, headers and id.
 */
export function eventMatcher({ source, type, text, internal = false }) {
  const typeOk = typeMatcher(type);
  const query = parsePathQuery(text);
  const needle = text.toLowerCase();
  const textOk = query ? pathMatcher(query) : (event) => !needle || searchableText(event).includes(needle);
  return (event) =>
    (internal || !isInternal(event)) && (!source || event.source === source) && typeOk(event.type) && textOk(event);
}

function searchableText(event) {
  const headers = Object.entries(event.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
  return `${event.id}\n${JSON.stringify(event.payload)}\n${headers.join('\n')}`.toLowerCase();
}

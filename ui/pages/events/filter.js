import { h } from '../../lib/dom.js';
import { serverTypeFilter, typeMatcher } from '../../lib/glob.js';

/** The filter bar: source (with the sources seen so far offered), type glob and free text. */
export function createFilterBar(onChange) {
  const sources = h('datalist', { id: 'seen-sources' });
  const source = h('input', { name: 'source', list: 'seen-sources', placeholder: 'all sources', autocomplete: 'off' });
  const type = h('input', { name: 'type', placeholder: 'all types, e.g. response.*', autocomplete: 'off' });
  const text = h('input', {
    name: 'text',
    type: 'search',
    placeholder: 'text in payload or headers  ( / )',
    autocomplete: 'off',
  });
  for (const input of [source, type, text]) input.addEventListener('input', () => onChange(input.name));
  const element = h(
    'form',
    { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Source ', source),
    sources,
    h('label', {}, 'Type ', type),
    h('label', { class: 'grow' }, 'Search ', text),
  );
  return {
    element,
    text,
    values: () => ({ source: source.value.trim(), type: type.value.trim(), text: text.value.trim() }),
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

/** Everything, applied in the page: source, any type glob, and text over payload, headers and id. */
export function eventMatcher({ source, type, text }) {
  const typeOk = typeMatcher(type);
  const needle = text.toLowerCase();
  return (event) =>
    (!source || event.source === source) && typeOk(event.type) && (!needle || searchableText(event).includes(needle));
}

function searchableText(event) {
  const headers = Object.entries(event.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
  return `${event.id}\n${JSON.stringify(event.payload)}\n${headers.join('\n')}`.toLowerCase();
}

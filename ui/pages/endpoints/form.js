// The endpoint form, for creating and for editing: URL, description, filter (sources, types), extra
// headers (one `name: value` per line) and rate limit (attempts per second; empty = the default).
import { h } from '../../lib/dom.js';

const list = (text) =>
  String(text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `name: value` lines → an object; throws with the line when one has no colon. */
export function parseHeaderLines(text) {
  const headers = {};
  for (const [i, line] of String(text ?? '')
    .split('\n')
    .entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf(':');
    if (at <= 0) throw new Error(`Header line ${i + 1} needs the form "name: value".`);
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

const headerLines = (headers) =>
  Object.entries(headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');

/**
 * endpointForm({endpoint?, onSubmit(body), onCancel?}): `endpoint` fills the fields (edit); the body
 * handed to onSubmit is what POST or PATCH /v1/endpoints takes.
 */
export function endpointForm({ endpoint = null, onSubmit, onCancel }) {
  const editing = endpoint !== null;
  const field = (label, input) => h('label', {}, `${label} `, input);
  const url = h('input', {
    name: 'url',
    type: 'url',
    required: true,
    placeholder: 'https://worker.example.com/hooks',
    value: endpoint?.url,
  });
  const description = h('input', { name: 'description', value: endpoint?.description });
  const sources = h('input', {
    name: 'sources',
    placeholder: 'github, stripe (empty = all)',
    value: endpoint?.filter?.sources?.join(', '),
  });
  const types = h('input', {
    name: 'types',
    placeholder: 'invoice.*, push (empty = all)',
    value: endpoint?.filter?.types?.join(', '),
  });
  const headers = h('textarea', { name: 'headers', rows: 2, placeholder: 'x-team: billing' });
  headers.value = headerLines(endpoint?.headers);
  const rate = h('input', {
    name: 'rate_limit',
    type: 'number',
    min: '0.01',
    step: 'any',
    placeholder: 'default',
    value: endpoint?.rate_limit ?? undefined,
  });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: `endpoint-form ${editing ? 'edit' : 'create'}`, 'aria-label': editing ? `Edit ${endpoint.url}` : 'New endpoint' },
    field('URL', url),
    field('Description', description),
    field('Sources', sources),
    field('Types', types),
    field('Headers', headers),
    field('Rate limit (per second)', rate),
    h(
      'div',
      { class: 'button-row' },
      h('button', { type: 'submit', class: 'primary' }, editing ? 'Save' : 'Add endpoint'),
      onCancel ? h('button', { type: 'button', onclick: onCancel }, 'Cancel') : null,
    ),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const body = {
        url: url.value.trim(),
        description: description.value,
        filter: { sources: list(sources.value), types: list(types.value) },
        headers: parseHeaderLines(headers.value),
      };
      if (rate.value !== '' || editing) body.rate_limit = rate.value === '' ? null : Number(rate.value);
      await onSubmit(body);
      if (!editing) form.reset();
    } catch (e) {
      error.textContent = e.message;
    }
  });
  return form;
}

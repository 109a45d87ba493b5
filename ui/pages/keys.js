import { copyButton } from '../lib/clipboard.js';
import { h } from '../lib/dom.js';
import { notice, toolbar } from '../lib/parts.js';
import { SCOPES } from '../lib/scopes.js';

const LIMITS = [
  ['requests_per_minute', 'Requests per minute'],
  ['ai_tokens_per_day', 'AI tokens per day'],
  ['ai_tokens_per_month', 'AI tokens per month'],
  ['ai_concurrent', 'AI responses at once'],
];

/** API keys (admin): create with scopes, sources and limits, copy the key once, revoke, usage per key. */
export default {
  id: 'keys',
  title: 'Keys',
  scope: 'admin',
  mount(container, ctx) {
    const status = notice();
    const created = h('div', { class: 'created-key' });
    const body = h('tbody');
    const form = createForm(async (input) => {
      const key = await ctx.api('/v1/keys', { method: 'POST', body: input });
      showOnce(created, key);
      form.reset();
      await load();
    }, status);
    container.append(
      toolbar('Keys', h('button', { type: 'button', onclick: () => load() }, 'Refresh')),
      h(
        'p',
        { class: 'muted' },
        'Each key opens only its scopes. A key is shown once, when it is created; the relay keeps only its hash.',
      ),
      form,
      created,
      status,
      h(
        'table',
        { class: 'keys' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Key', 'Scopes', 'Sources', 'Limits', 'AI tokens today', 'AI tokens in all', 'Created', ''].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        body,
      ),
    );

    async function load() {
      try {
        const [keys, usage] = await Promise.all([ctx.api('/v1/keys'), ctx.api('/v1/usage')]);
        const today = new Date().toISOString().slice(0, 10);
        body.replaceChildren(...keys.data.map((key) => row(key, usageOf(usage.data, key.id, today), revoke)));
        if (keys.data.length === 0) status.textContent = 'No keys yet.';
      } catch (error) {
        status.textContent = error.message;
      }
    }
    async function revoke(key) {
      try {
        await ctx.api(`/v1/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
        status.textContent = `Revoked ${key.name}: it stopped working at once, open streams included.`;
        await load();
      } catch (error) {
        status.textContent = error.message;
      }
    }
    load();
  },
};

function createForm(onCreate, status) {
  const scopes = SCOPES.map(([scope, what]) =>
    h(
      'label',
      { class: 'scope' },
      h('input', { type: 'checkbox', name: 'scope', value: scope }),
      h('code', {}, scope),
      ` ${what}`,
    ),
  );
  const limits = LIMITS.map(([name, label]) =>
    h('label', { class: 'field' }, label, h('input', { type: 'number', name, min: '1', step: '1', placeholder: 'none' })),
  );
  const form = h(
    'form',
    { class: 'key-form', 'aria-label': 'New key' },
    h('h2', {}, 'New key'),
    h('label', { class: 'field' }, 'Name', h('input', { name: 'name', required: true, maxlength: '200', autocomplete: 'off' })),
    h('fieldset', {}, h('legend', {}, 'Scopes'), ...scopes),
    h(
      'label',
      { class: 'field' },
      'Sources (comma-separated; empty: every source)',
      h('input', { name: 'sources', autocomplete: 'off', spellcheck: 'false' }),
    ),
    h('fieldset', { class: 'limits' }, h('legend', {}, 'Limits (empty: none)'), ...limits),
    h('button', { type: 'submit', class: 'primary' }, 'Create key'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const sources = String(data.get('sources') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const limitValues = Object.fromEntries(
      LIMITS.map(([name]) => [name, data.get(name)])
        .filter(([, v]) => v !== '' && v !== null)
        .map(([n, v]) => [n, Number(v)]),
    );
    const input = {
      name: String(data.get('name')),
      scopes: data.getAll('scope'),
      sources: sources.length ? sources : null,
      limits: limitValues,
    };
    try {
      status.textContent = '';
      await onCreate(input);
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}

/** The new key, with a copy button; it is never shown again (the list has only its prefix). */
function showOnce(box, key) {
  box.replaceChildren(
    h('p', {}, h('strong', {}, `Key "${key.name}" created. `), 'Copy it now: it is not shown again.'),
    h(
      'div',
      { class: 'button-row' },
      h('code', { class: 'secret' }, key.key),
      copyButton('Copy key', () => key.key),
    ),
    h('button', { type: 'button', class: 'link', onclick: () => box.replaceChildren() }, 'Done, hide it'),
  );
}

function usageOf(rows, keyId, today) {
  const mine = rows.filter((r) => r.key_id === keyId);
  const sum = (list) => list.reduce((n, r) => n + r.total_tokens, 0);
  return { today: sum(mine.filter((r) => r.date === today)), total: sum(mine) };
}

function row(key, usage, revoke) {
  const limits = Object.entries(key.limits ?? {}).map(([name, value]) => `${name}: ${value}`);
  let armed = false;
  const button = h('button', { type: 'button', class: 'danger' }, 'Revoke');
  // Two clicks: the first arms the button, so a stray click cannot revoke a key in use.
  button.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      button.textContent = `Revoke ${key.name} now`;
      return;
    }
    button.disabled = true;
    revoke(key);
  });
  return h(
    'tr',
    { dataset: { id: key.id } },
    h('td', {}, key.name),
    h('td', {}, h('code', {}, `${key.prefix}…`)),
    h('td', {}, ...key.scopes.map((s) => h('span', { class: 'badge' }, s))),
    h('td', {}, key.sources ? key.sources.join(', ') : h('span', { class: 'muted' }, 'all')),
    h('td', {}, limits.length ? limits.join(', ') : h('span', { class: 'muted' }, 'none')),
    h('td', { class: 'num' }, String(usage.today)),
    h('td', { class: 'num' }, String(usage.total)),
    h('td', {}, h('time', { datetime: key.created_at }, new Date(key.created_at).toLocaleString())),
    h('td', {}, button),
  );
}

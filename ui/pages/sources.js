// Sources: the webhook URLs the relay accepts. Make one and at once see its URL, its secret (shown only
// here, once) and ready `hookrelay send` and curl commands; rotate a secret; delete with a confirmation;
// accepted and refused requests over the last hour. Sources from the config file are read-only.
import { copyButton } from '../lib/clipboard.js';
import { h } from '../lib/dom.js';
import { notice, toolbar } from '../lib/parts.js';
import { curlCommand, sendCommand } from '../lib/source-commands.js';

const REFRESH_MS = 5000;
const SCHEMES = ['standard-webhooks', 'openai', 'github', 'stripe', 'shopify', 'hmac', 'none'];

function createForm(onCreate) {
  const scheme = h('select', { name: 'scheme' }, ...SCHEMES.map((s) => h('option', { value: s }, s)));
  const headerField = h(
    'label',
    { hidden: true },
    'Signature header ',
    h('input', { name: 'header', placeholder: 'X-Signature' }),
  );
  const insecureField = h(
    'label',
    { hidden: true },
    h('input', { name: 'insecure', type: 'checkbox' }),
    ' accept unsigned requests',
  );
  scheme.addEventListener('change', () => {
    headerField.hidden = scheme.value !== 'hmac';
    insecureField.hidden = scheme.value !== 'none';
  });
  const form = h(
    'form',
    { class: 'create', 'aria-label': 'New source' },
    h(
      'label',
      {},
      'Name ',
      h('input', { name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}', placeholder: 'orders' }),
    ),
    h('label', {}, 'Scheme ', scheme),
    h('label', {}, 'Secret ', h('input', { name: 'secret', autocomplete: 'off', placeholder: 'empty = generate one' })),
    headerField,
    insecureField,
    h('label', {}, 'Description ', h('input', { name: 'description' })),
    h('button', { type: 'submit', class: 'primary' }, 'Create source'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const verify = { scheme: data.get('scheme') };
    const secret = String(data.get('secret') ?? '').trim();
    if (secret) verify.secrets = [secret];
    if (verify.scheme === 'hmac') verify.header = String(data.get('header') ?? '').trim() || undefined;
    const body = { name: String(data.get('name')).trim(), verify };
    if (data.get('insecure')) body.insecure = true;
    const description = String(data.get('description') ?? '').trim();
    if (description) body.description = description;
    onCreate(body, () => form.reset());
  });
  return form;
}

/** The one place a secret is shown: right after it was made. */
function revealPanel(source, heading) {
  const secret = source.verify.secrets?.[0] ?? null;
  const args = { url: source.url, scheme: source.verify.scheme, secret, name: source.name, verify: source.verify };
  const send = sendCommand(args);
  const block = (label, text) =>
    h(
      'div',
      { class: 'command' },
      h(
        'div',
        { class: 'button-row' },
        h('strong', {}, label),
        copyButton(`Copy ${label}`, () => text),
      ),
      h('pre', { tabindex: '0', 'aria-label': label }, text),
    );
  return h(
    'section',
    { class: 'source-reveal', 'aria-label': heading },
    h('h2', { class: 'reveal-title' }, heading),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'URL'),
      h(
        'dd',
        {},
        h('code', { class: 'source-url' }, source.url),
        ' ',
        copyButton('Copy URL', () => source.url),
      ),
      secret
        ? [
            h('dt', {}, 'Secret'),
            h(
              'dd',
              {},
              h('code', { class: 'source-secret' }, secret),
              ' ',
              copyButton('Copy secret', () => secret),
            ),
          ]
        : null,
    ),
    secret
      ? h('p', { class: 'muted' }, 'The secret is shown only now: copy it into the sender. The relay never lists it again.')
      : null,
    send
      ? block('hookrelay send', send)
      : h('p', { class: 'muted' }, 'hookrelay send signs hmac sources from a config file; use the curl script.'),
    block('curl', curlCommand(args)),
  );
}

export default {
  id: 'sources',
  title: 'Sources',
  mount(container, { api }) {
    const status = notice();
    const reveal = h('div');
    const body = h('tbody');
    let sources = [];
    let confirming = null;

    const say = (text, bad = false) => {
      status.textContent = text;
      status.classList.toggle('error', bad);
    };
    const act = async (fn) => {
      try {
        await fn();
      } catch (error) {
        say(error.message, true);
      }
      await load();
    };

    const form = createForm((input, reset) =>
      act(async () => {
        const created = await api('/v1/sources', { method: 'POST', body: input });
        reset();
        reveal.replaceChildren(revealPanel(created, `Source ${created.name} is ready`));
        say(`Created ${created.name}.`);
      }),
    );

    const rotate = (s) =>
      act(async () => {
        const rotated = await api(`/v1/sources/${encodeURIComponent(s.name)}/rotate-secret`, { method: 'POST', body: {} });
        reveal.replaceChildren(revealPanel(rotated, `New secret for ${s.name}`));
        say(`Rotated ${s.name}: the previous secret keeps verifying for 24 hours.`);
      });
    const remove = (s) =>
      act(async () => {
        confirming = null;
        await api(`/v1/sources/${encodeURIComponent(s.name)}`, { method: 'DELETE' });
        reveal.replaceChildren();
        say(`Deleted ${s.name}: its URL now answers 404; its stored events stay until retention removes them.`);
      });

    /** Which source's delete is awaiting confirmation (null: none). */
    function confirm(name) {
      confirming = name;
      render();
    }

    function actions(s) {
      if (s.origin === 'config') return h('span', { class: 'muted' }, 'config file (read-only)');
      if (confirming === s.name) {
        return h(
          'span',
          { class: 'confirm', role: 'group', 'aria-label': `Confirm deleting ${s.name}` },
          `Delete ${s.name}? Webhooks to it will be refused. `,
          h('button', { type: 'button', class: 'danger', onclick: () => remove(s) }, `Delete ${s.name}`),
          ' ',
          h('button', { type: 'button', onclick: () => confirm(null) }, 'Cancel'),
        );
      }
      return [
        s.verify.scheme === 'none' ? null : h('button', { type: 'button', onclick: () => rotate(s) }, 'Rotate secret'),
        h('button', { type: 'button', onclick: () => confirm(s.name) }, 'Delete'),
      ];
    }

    function row(s) {
      const previous = s.previous_secrets?.length
        ? ` (+${s.previous_secrets.length} previous until ${s.previous_secrets[0].expires_at})`
        : '';
      return h(
        'tr',
        { dataset: { source: s.name } },
        h('td', {}, h('strong', {}, s.name), s.description ? h('div', { class: 'muted' }, s.description) : null),
        h('td', {}, s.verify.scheme, h('small', { class: 'muted' }, previous)),
        h(
          'td',
          {},
          h('code', {}, s.url),
          ' ',
          copyButton('Copy', () => s.url, { 'aria-label': `Copy URL of ${s.name}` }),
        ),
        h('td', { class: 'accepted' }, String(s.counts.accepted)),
        h('td', { class: 'rejected' }, String(s.counts.rejected)),
        h('td', { class: 'actions' }, actions(s)),
      );
    }

    function render() {
      body.replaceChildren(
        ...(sources.length ? sources.map(row) : [h('tr', {}, h('td', { colspan: 6 }, 'No sources yet: create one above.'))]),
      );
    }

    async function load() {
      try {
        sources = (await api('/v1/sources')).data;
        render();
      } catch (error) {
        // A key without the sources scope may not manage sources: say so, and offer no form that would only be refused.
        const refused = error.code === 'forbidden' || error.code === 'insufficient_scope';
        form.hidden = refused;
        say(refused ? 'Sources need a key with the sources scope (or the admin token).' : error.message, true);
      }
    }

    container.append(
      toolbar('Sources', h('button', { type: 'button', onclick: () => load() }, 'Refresh')),
      h('p', { class: 'muted' }, 'Each source is a URL providers post to. Sources made here apply at once, on every instance.'),
      form,
      status,
      reveal,
      h(
        'table',
        { class: 'sources' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Source', 'Scheme', 'URL', 'Accepted (1 h)', 'Refused (1 h)', ''].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        body,
      ),
    );
    load();
    // Counts move while the page is open; a delete being confirmed is not redrawn away.
    const timer = setInterval(() => confirming === null && load(), REFRESH_MS);
    return () => clearInterval(timer);
  },
};

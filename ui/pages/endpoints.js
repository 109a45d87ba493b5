// Downstream endpoints: health, deliveries with their attempts, and the actions retry, recover,
// replay, rotate secret, enable/disable. Polls every 5 s while shown.
import { h } from '../lib/dom.js';
import { deliveriesPanel } from './endpoint-deliveries.js';

const pct = (rate) => (rate === null ? 'n/a' : `${Math.round(rate * 100)}%`);

function badge(endpoint) {
  if (!endpoint.enabled) return h('span', { class: 'badge bad' }, 'disabled');
  if (endpoint.health.failing_since) return h('span', { class: 'badge bad' }, 'failing');
  return h('span', { class: 'badge ok' }, 'enabled');
}

export default {
  id: 'endpoints',
  title: 'Endpoints',
  mount(container, { api }) {
    const message = h('p', { role: 'status', class: 'message' });
    const list = h('tbody');
    const detail = h('section', { class: 'detail' });
    let selected = null;

    const say = (text, bad = false) => {
      message.textContent = text;
      message.className = bad ? 'message error' : 'message';
    };
    const act = (fn) => async () => {
      try {
        say(await fn());
        await refresh();
      } catch (error) {
        say(error.message, true);
      }
    };

    const panel = deliveriesPanel({ api, act, detail });

    const form = h(
      'form',
      { class: 'create', 'aria-label': 'New endpoint' },
      h(
        'label',
        {},
        'URL ',
        h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://worker.example.com/hooks' }),
      ),
      h('label', {}, 'Description ', h('input', { name: 'description' })),
      h('label', {}, 'Sources ', h('input', { name: 'sources', placeholder: 'github, stripe (empty = all)' })),
      h('label', {}, 'Types ', h('input', { name: 'types', placeholder: 'invoice.*, push (empty = all)' })),
      h('button', { type: 'submit', class: 'primary' }, 'Add endpoint'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const split = (name) =>
        String(data.get(name) ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      const filter = { sources: split('sources'), types: split('types') };
      await act(async () => {
        const created = await api('/v1/endpoints', {
          method: 'POST',
          body: { url: data.get('url'), description: data.get('description'), filter },
        });
        form.reset();
        selected = created.id;
        return `Created ${created.id}. Signing secret (shown once here, also at /v1/endpoints/${created.id}/secret): ${created.secret}`;
      })();
    });

    async function setEnabled(e, enabled) {
      await api(`/v1/endpoints/${e.id}`, { method: 'PATCH', body: { enabled } });
      return `${enabled ? 'Enabled' : 'Disabled'} ${e.id}.`;
    }

    function endpointRow(e) {
      const toggle = e.enabled
        ? h(
            'button',
            {
              type: 'button',
              onclick: act(() => setEnabled(e, false)),
            },
            'Disable',
          )
        : h(
            'button',
            {
              type: 'button',
              onclick: act(() => setEnabled(e, true)),
            },
            'Enable',
          );
      const rotate = h(
        'button',
        {
          type: 'button',
          onclick: act(async () => {
            const r = await api(`/v1/endpoints/${e.id}/rotate-secret`, { method: 'POST' });
            return `New secret for ${e.id}: ${r.secret} (the old one keeps signing for 24 h).`;
          }),
        },
        'Rotate secret',
      );
      const show = h(
        'button',
        {
          type: 'button',
          onclick: () => {
            selected = e.id;
            refresh();
          },
        },
        'Deliveries',
      );
      return h(
        'tr',
        { dataset: { endpoint: e.id }, 'aria-selected': selected === e.id ? 'true' : undefined },
        h('td', {}, h('code', {}, e.url), h('br'), h('small', {}, e.description)),
        h('td', {}, badge(e), e.disabled_reason ? h('div', { class: 'muted' }, e.disabled_reason) : null),
        h('td', {}, pct(e.health.success_rate), h('small', { class: 'muted' }, ` of ${e.health.sample}`)),
        h('td', {}, String(e.health.pending)),
        h('td', { class: 'muted' }, e.health.last_error ?? ''),
        h('td', {}, show, ' ', toggle, ' ', rotate),
      );
    }

    async function refresh() {
      try {
        const { data } = await api('/v1/endpoints');
        list.replaceChildren(
          ...(data.length ? data.map(endpointRow) : [h('tr', {}, h('td', { colspan: 6 }, 'No endpoints yet.'))]),
        );
        const current = data.find((e) => e.id === selected);
        if (current) await panel.show(current);
        else panel.clear();
      } catch (error) {
        say(error.message, true);
      }
    }

    container.append(
      h('h1', {}, 'Endpoints'),
      form,
      message,
      h(
        'table',
        { class: 'endpoints' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Endpoint', 'State', 'Success', 'Pending', 'Last error', ''].map((t) => h('th', {}, t)),
          ),
        ),
        list,
      ),
      detail,
    );
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  },
};

// Downstream endpoints: create, edit, pause/resume, enable/disable, rotate the secret, delete (after a
// confirmation); honest health with a chart of recent attempts; per endpoint its deliveries and
// attempts with retry, recover and replay. Polls every 5 s while shown. #/endpoints/<id> opens one.
import { h } from '../lib/dom.js';
import { toolbar } from '../lib/parts.js';
import { deliveriesPanel } from './endpoints/deliveries.js';
import { endpointForm } from './endpoints/form.js';
import { healthCell, lastErrorCell } from './endpoints/health.js';

const REFRESH_MS = 5000;

function stateBadge(endpoint) {
  if (!endpoint.enabled) return h('span', { class: 'badge bad' }, 'disabled');
  if (endpoint.paused) return h('span', { class: 'badge warn' }, 'paused');
  if (endpoint.health.failing_since) return h('span', { class: 'badge bad' }, 'failing');
  return h('span', { class: 'badge ok' }, 'enabled');
}

export default {
  id: 'endpoints',
  title: 'Endpoints',
  mount(container, { api, route }) {
    const message = h('p', { role: 'status', class: 'message' });
    const list = h('tbody');
    const editor = h('section', { class: 'editor', 'aria-live': 'polite' });
    const detail = h('section', { class: 'detail endpoint-detail' });
    let selected = route.rest ? decodeURIComponent(route.rest) : null;
    let editing = null;

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
    const post = (e, what) => api(`/v1/endpoints/${encodeURIComponent(e.id)}/${what}`, { method: 'POST' });

    const createForm = endpointForm({
      onSubmit: async (body) => {
        const created = await api('/v1/endpoints', { method: 'POST', body });
        selected = created.id;
        say(
          `Created ${created.id}. Signing secret (shown once here, also at /v1/endpoints/${created.id}/secret): ${created.secret}`,
        );
        await refresh();
      },
    });

    function edit(e) {
      editing = e.id;
      editor.replaceChildren(
        h('h2', {}, `Edit ${e.url}`),
        endpointForm({
          endpoint: e,
          onSubmit: async (body) => {
            await api(`/v1/endpoints/${encodeURIComponent(e.id)}`, { method: 'PATCH', body });
            closeEditor();
            say(`Saved ${e.id}.`);
            await refresh();
          },
          onCancel: closeEditor,
        }),
      );
      editor.querySelector('input')?.focus();
    }
    function closeEditor() {
      editing = null;
      editor.replaceChildren();
    }

    const confirmDialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });
    function confirmDelete(e) {
      const yes = h('button', { type: 'button', class: 'danger' }, 'Delete');
      const no = h('button', { type: 'button' }, 'Keep it');
      confirmDialog.replaceChildren(
        h('h2', { id: 'confirm-title' }, 'Delete this endpoint?'),
        h('p', {}, h('code', {}, e.url)),
        h(
          'p',
          {},
          `Its ${e.health.pending} pending deliveries are failed and nothing more is sent to it. This cannot be undone.`,
        ),
        h('div', { class: 'button-row' }, yes, no),
      );
      no.addEventListener('click', () => confirmDialog.close());
      yes.addEventListener('click', async () => {
        confirmDialog.close();
        await act(async () => {
          await api(`/v1/endpoints/${encodeURIComponent(e.id)}`, { method: 'DELETE' });
          if (selected === e.id) selected = null;
          if (editing === e.id) closeEditor();
          return `Deleted ${e.url}.`;
        })();
      });
      confirmDialog.showModal();
      no.focus();
    }

    /** An action button: runs `fn` (which returns the message to show), then refreshes. */
    const button = (label, fn, extra = {}) => h('button', { type: 'button', onclick: act(fn), ...extra }, label);
    const setEnabled = async (e, enabled) => {
      await api(`/v1/endpoints/${encodeURIComponent(e.id)}`, { method: 'PATCH', body: { enabled } });
      return `${enabled ? 'Enabled' : 'Disabled'} ${e.id}.`;
    };
    const pauseOrResume = async (e, what) => {
      await post(e, what);
      return what === 'pause' ? `Paused ${e.url}; deliveries wait until it resumes.` : `Resumed ${e.url}.`;
    };

    function actions(e) {
      const plain = (label, onclick, extra = {}) => h('button', { type: 'button', onclick, ...extra }, label);
      // Pause keeps pending deliveries (unlike Disable); offered when the relay reports `paused`.
      const pausable = 'paused' in e && e.enabled;
      return [
        plain('Deliveries', () => {
          selected = e.id;
          history.replaceState(null, '', `#/endpoints/${encodeURIComponent(e.id)}`);
          refresh();
        }),
        plain('Edit', () => edit(e)),
        pausable ? button(e.paused ? 'Resume' : 'Pause', () => pauseOrResume(e, e.paused ? 'resume' : 'pause')) : null,
        pausable && !e.paused && e.health.pending > 0
          ? button('Send pending now', async () => {
              const r = await post(e, 'flush');
              return `Sending ${r.flushed} pending deliveries now${r.remaining ? ` (${r.remaining} more: press again)` : ''}.`;
            })
          : null,
        button(e.enabled ? 'Disable' : 'Enable', () => setEnabled(e, !e.enabled)),
        button('Rotate secret', async () => {
          const r = await post(e, 'rotate-secret');
          return `New secret for ${e.id}: ${r.secret} (the old one keeps signing for 24 h).`;
        }),
        plain('Delete', () => confirmDelete(e), { class: 'danger' }),
      ];
    }

    function endpointRow(e) {
      return h(
        'tr',
        { dataset: { endpoint: e.id }, 'aria-selected': selected === e.id ? 'true' : undefined },
        h('td', { 'data-label': 'Endpoint' }, h('code', { class: 'url' }, e.url), h('br'), h('small', {}, e.description)),
        h(
          'td',
          { 'data-label': 'State' },
          stateBadge(e),
          e.disabled_reason ? h('div', { class: 'muted' }, e.disabled_reason) : null,
        ),
        h('td', { 'data-label': 'Health' }, healthCell(e.health)),
        h('td', { 'data-label': 'Last error' }, lastErrorCell(e.health)),
        h('td', { class: 'actions' }, h('div', { class: 'button-row' }, actions(e))),
      );
    }

    async function refresh() {
      try {
        const { data } = await api('/v1/endpoints');
        list.replaceChildren(
          ...(data.length ? data.map(endpointRow) : [h('tr', {}, h('td', { colspan: 5 }, 'No endpoints yet.'))]),
        );
        const current = data.find((e) => e.id === selected);
        if (current) await panel.show(current);
        else panel.clear();
      } catch (error) {
        say(error.message, true);
      }
    }

    container.append(
      toolbar('Endpoints'),
      h('details', { class: 'create-box' }, h('summary', {}, 'New endpoint'), createForm),
      message,
      editor,
      h(
        'table',
        { class: 'endpoints stack' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Endpoint', 'State', 'Health', 'Last error', 'Actions'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        list,
      ),
      detail,
      confirmDialog,
    );
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  },
};

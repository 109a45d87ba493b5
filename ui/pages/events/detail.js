import { copyButton } from '../../lib/clipboard.js';
import { h } from '../../lib/dom.js';
import { prettyJson } from '../../lib/json.js';
import { jsonBlock, keyValueTable } from '../../lib/parts.js';
import { timeEl } from '../../lib/time.js';
import { ACTIVITY_POLL_MS, actionsForm, renderActivity, requestFacts } from './activity.js';
import { repeatBadge, verifiedBadge } from './badges.js';
import { curlCommand, sendCommand } from './commands.js';

/**
 * One event: its facts (with the request's method, path, client address and size), what it caused
 * (deliveries, runs, AI objects; admin token), Resend and Run workflow, the payload, the raw body as
 * text, and the headers, with copy buttons. `rawBody(id)` fetches the original bytes (for curl and
 * `hookrelay send`, which must carry exactly what was received). Returns a function that stops the
 * activity polling.
 */
export function renderDetail(container, event, { api, rawBody, repeatOf, onOpen, onClose }) {
  const origin = location.origin;
  const payloadText = typeof event.payload === 'string' ? event.payload : prettyJson(event.payload);
  const first = repeatOf(event.id);
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('id', h('code', {}, event.id)),
    fact('source', event.source),
    fact('received', timeEl(event.received_at)),
    fact('provider id', event.provider_id ? h('code', {}, event.provider_id) : '(none: repeats cannot be recognised)'),
    fact('checks', verifiedBadge(event, { long: true }), ' ', repeatBadge(first), first ? openFirst(first, onOpen) : null),
  );
  const message = h('p', { class: 'message', role: 'status' });
  const say = (text, bad = false) => {
    message.textContent = text;
    message.className = bad ? 'message error' : 'message';
  };
  const caused = h('div', { class: 'activity', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading what it caused…'));
  const raw = h('pre', { class: 'raw-body', tabindex: '0', 'aria-label': 'Raw body' }, 'Loading…');
  const actions = h('div', { class: 'event-actions-box' });

  container.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('h2', { id: 'detail-title', tabindex: '-1' }, event.type),
      h('button', { type: 'button', class: 'close', onclick: onClose, 'aria-label': 'Close event' }, '×'),
    ),
    facts,
    h(
      'div',
      { class: 'button-row' },
      copyButton('Copy payload', () => payloadText),
      copyButton('Copy headers', () => prettyJson(event.headers)),
      copyButton('Copy as curl', async () => curlCommand(event, await rawBody(event.id), origin), {
        title:
          'The original request, signature included: replay it into a receiver of your own; this relay refuses it once out of tolerance',
      }),
      copyButton('Copy as hookrelay send', async () => sendCommand(event, await rawBody(event.id), origin), {
        title: 'The same body signed afresh with the source secret from your hookrelay.yaml: this relay takes it as a new event',
      }),
    ),
    h('h3', {}, 'What it caused'),
    caused,
    message,
    actions,
    h('h3', {}, 'Payload'),
    jsonBlock(payloadText, { label: 'Payload', className: 'payload' }),
    h('h3', {}, 'Raw body'),
    raw,
    h('h3', {}, 'Headers'),
    keyValueTable(event.headers, { empty: 'No headers kept.' }),
  );

  // The raw bytes as text: textContent, so markup in a body is shown, never interpreted.
  rawBody(event.id).then(
    (text) => (raw.textContent = text === '' ? '(empty body)' : text),
    (error) => (raw.textContent = `Could not read the raw body: ${error.message}`),
  );

  let stopped = false;
  let timer = null;
  let factsAdded = false;
  async function poll() {
    clearTimeout(timer);
    timer = null;
    try {
      const activity = await api(`/v1/events/${encodeURIComponent(event.id)}/activity`);
      if (stopped) return;
      if (!factsAdded) {
        factsAdded = true;
        facts.append(...requestFacts(activity.request, fact).filter(Boolean));
        actions.replaceChildren(actionsForm(api, event.id, { onDone: poll, say }));
      }
      renderActivity(caused, activity);
      timer = setTimeout(poll, ACTIVITY_POLL_MS);
    } catch (error) {
      if (stopped) return;
      if (error.status === 403) {
        caused.replaceChildren(
          h('p', { class: 'muted' }, 'Deliveries, workflow runs and AI objects are shown to the admin token.'),
        );
        return;
      }
      caused.replaceChildren(h('p', { class: 'error' }, `Could not read what it caused: ${error.message}`));
      timer = setTimeout(poll, ACTIVITY_POLL_MS);
    }
  }
  poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function fact(name, ...value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, ...value));
}

function openFirst(id, onOpen) {
  return h('button', { type: 'button', class: 'link', onclick: () => onOpen(id) }, `first: ${id}`);
}

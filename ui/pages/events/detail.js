import { copyButton } from '../../lib/clipboard.js';
import { h } from '../../lib/dom.js';
import { prettyJson } from '../../lib/json.js';
import { jsonBlock, keyValueTable } from '../../lib/parts.js';
import { repeatBadge, verifiedBadge } from './badges.js';
import { curlCommand, sendCommand } from './commands.js';

/**
 * One event: its facts, headers and pretty payload, with copy buttons. `rawBody(id)` fetches the original
 * bytes (for curl and `hookrelay send`, which must carry exactly what was received).
 */
export function renderDetail(container, event, { rawBody, repeatOf, onOpen, onClose }) {
  const origin = location.origin;
  const payloadText = typeof event.payload === 'string' ? event.payload : prettyJson(event.payload);
  const first = repeatOf(event.id);
  container.replaceChildren(
    h(
      'div',
      { class: 'detail-head' },
      h('h2', { id: 'detail-title', tabindex: '-1' }, event.type),
      h('button', { type: 'button', class: 'close', onclick: onClose, 'aria-label': 'Close event' }, '×'),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('id', h('code', {}, event.id)),
      fact('source', event.source),
      fact('received', new Date(event.received_at).toLocaleString()),
      fact('provider id', event.provider_id ? h('code', {}, event.provider_id) : '(none: repeats cannot be recognised)'),
      fact('checks', verifiedBadge(event, { long: true }), ' ', repeatBadge(first), first ? openFirst(first, onOpen) : null),
    ),
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
    h('h3', {}, 'Payload'),
    jsonBlock(payloadText, { label: 'Payload', className: 'payload' }),
    h('h3', {}, 'Headers'),
    keyValueTable(event.headers, { empty: 'No headers kept.' }),
  );
}

function fact(name, ...value) {
  return h('div', {}, h('dt', {}, name), h('dd', {}, ...value));
}

function openFirst(id, onOpen) {
  return h('button', { type: 'button', class: 'link', onclick: () => onOpen(id) }, `first: ${id}`);
}

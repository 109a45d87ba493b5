// The deliveries of one endpoint, with their attempts, and the recover / replay / retry actions.
// The actions are built once per endpoint (so typing survives the page's refresh); only the table
// is rebuilt, keeping expanded attempt lists open.
import { h } from '../../lib/dom.js';
import { timeEl } from '../../lib/time.js';

/** act(fn) wraps an action: runs it, reports its message and refreshes the page. */
export function deliveriesPanel({ api, act, detail }) {
  function attemptsList(d) {
    return h(
      'ol',
      { class: 'attempts' },
      d.attempts.map((a) =>
        h(
          'li',
          {},
          timeEl(a.at),
          ` (${a.trigger}): ${a.status_code ?? 'no response'} in ${a.latency_ms} ms${a.error ? `, ${a.error}` : ''}`,
          a.response_body ? h('pre', {}, a.response_body) : null,
        ),
      ),
    );
  }

  function deliveryRow(d) {
    const retry = h(
      'button',
      {
        type: 'button',
        onclick: act(async () => {
          await api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
          return `Retrying ${d.id}.`;
        }),
      },
      'Retry',
    );
    return h(
      'tr',
      { dataset: { delivery: d.id, status: d.status } },
      h(
        'td',
        { 'data-label': 'Event' },
        h('a', { href: `#/events/${encodeURIComponent(d.event_id)}` }, h('code', {}, d.event_id)),
        h('br'),
        h('small', {}, `${d.source} / ${d.event_type} (${d.origin})`),
      ),
      h(
        'td',
        { 'data-label': 'Status' },
        h(
          'span',
          { class: `badge ${d.status === 'succeeded' ? 'ok' : d.status === 'failed' ? 'bad' : ''}` },
          d.sending ? 'sending' : d.status,
        ),
      ),
      h('td', { 'data-label': 'Attempts' }, h('details', {}, h('summary', {}, `${d.attempt_count} attempt(s)`), attemptsList(d))),
      h('td', { 'data-label': 'Next attempt' }, d.next_attempt_at ? timeEl(d.next_attempt_at) : ''),
      h('td', {}, retry),
    );
  }

  // The actions are built once per selected endpoint (so typing survives the 5 s refresh);
  // only the deliveries table is rebuilt, keeping expanded attempt lists open.
  const deliveriesBox = h('div');
  const expanded = new Set();
  let detailFor = null;

  function buildDetail(endpoint) {
    detailFor = endpoint.id;
    const since = h('input', { type: 'datetime-local', name: 'since', 'aria-label': 'Recover since' });
    const eventId = h('input', { name: 'event_id', placeholder: 'evt_...', 'aria-label': 'Event id to replay' });
    const recover = act(async () => {
      const from = since.value ? new Date(since.value) : new Date(Date.now() - 86_400_000);
      const r = await api(`/v1/endpoints/${endpoint.id}/recover`, { method: 'POST', body: { since: from.toISOString() } });
      return `Re-sending ${r.recovered} failed deliveries.`;
    });
    const replay = act(async () => {
      const r = await api(`/v1/endpoints/${endpoint.id}/replay`, { method: 'POST', body: { event_id: eventId.value.trim() } });
      return `Replaying ${r.event_id} as ${r.id}.`;
    });
    detail.replaceChildren(
      h('h2', {}, `Deliveries to ${endpoint.url}`),
      h(
        'div',
        { class: 'actions' },
        h('label', {}, 'Failed since ', since),
        h('button', { type: 'button', onclick: recover }, 'Recover'),
        ' ',
        h('label', {}, 'Event ', eventId),
        h('button', { type: 'button', onclick: replay }, 'Replay'),
      ),
      deliveriesBox,
    );
  }

  async function showDetail(endpoint) {
    if (detailFor !== endpoint.id) buildDetail(endpoint);
    const page = await api(`/v1/endpoints/${endpoint.id}/deliveries?limit=100`);
    const rows = page.data.map(deliveryRow);
    for (const row of rows) {
      const box = row.querySelector('details');
      box.open = expanded.has(row.dataset.delivery);
      box.addEventListener('toggle', () =>
        box.open ? expanded.add(row.dataset.delivery) : expanded.delete(row.dataset.delivery),
      );
    }
    deliveriesBox.replaceChildren(
      rows.length === 0
        ? h('p', { class: 'muted' }, 'No deliveries yet.')
        : h(
            'table',
            { class: 'deliveries stack' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Event', 'Status', 'Attempts', 'Next attempt', ''].map((t) => h('th', {}, t)),
              ),
            ),
            h('tbody', {}, rows),
          ),
    );
  }

  return {
    show: showDetail,
    clear() {
      detailFor = null;
      detail.replaceChildren();
    },
  };
}

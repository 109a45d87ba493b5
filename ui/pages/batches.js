import { ApiError, session } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { followEvents } from '../lib/stream.js';
import { timeEl } from '../lib/time.js';

// Batches: a row per batch with a progress bar, counts, cancel, and downloads of the output and
// error files. batch.* events from the live stream (SSE) trigger a refresh; a slow poll covers the
// time the stream is down.
const POLL_MS = 5000;
const DEBOUNCE_MS = 150;
const FINISHED = new Set(['completed', 'failed', 'expired', 'cancelled']);

async function download(fileId, filename) {
  const res = await fetch(`/v1/files/${encodeURIComponent(fileId)}/content`, {
    headers: { authorization: `Bearer ${session.token ?? ''}` },
  });
  if (!res.ok) throw new ApiError(res.status, 'download_failed', `Download failed (${res.status}).`);
  const url = URL.createObjectURL(await res.blob());
  const link = h('a', { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function progressCell(batch) {
  const { total, completed, failed } = batch.request_counts;
  const done = completed + failed;
  return h(
    'td',
    {},
    h('progress', { max: String(Math.max(total, 1)), value: String(done), 'aria-label': `${batch.id} progress` }),
    h('div', { class: 'counts' }, `${done} / ${total} (${completed} ok, ${failed} failed)`),
  );
}

function actionsCell(batch, { api, report, refresh }) {
  const act = (fn) => () => fn().then(refresh, (error) => report(error.message));
  const buttons = [];
  if (!FINISHED.has(batch.status) && batch.status !== 'cancelling' && batch.status !== 'finalizing') {
    buttons.push(
      h('button', { type: 'button', onclick: act(() => api(`/v1/batches/${batch.id}/cancel`, { method: 'POST' })) }, 'Cancel'),
    );
  }
  if (batch.output_file_id) {
    buttons.push(
      h('button', { type: 'button', onclick: act(() => download(batch.output_file_id, `${batch.id}_output.jsonl`)) }, 'Output'),
    );
  }
  if (batch.error_file_id) {
    buttons.push(
      h('button', { type: 'button', onclick: act(() => download(batch.error_file_id, `${batch.id}_errors.jsonl`)) }, 'Errors'),
    );
  }
  return h('td', { class: 'actions' }, buttons);
}

function row(batch, actions) {
  const bad = batch.status === 'failed' || batch.status === 'expired';
  const problems = batch.errors?.data?.map((e) => `line ${e.line ?? '-'}: ${e.message}`) ?? [];
  return h(
    'tr',
    { dataset: { batch: batch.id, status: batch.status } },
    h('td', { 'data-label': 'Batch' }, h('code', {}, batch.id), h('div', {}, batch.endpoint)),
    h(
      'td',
      {},
      h('span', { class: `badge ${bad ? 'bad' : batch.status === 'completed' ? 'ok' : ''}` }, batch.status),
      ...problems.map((p) => h('div', { class: 'error' }, p)),
    ),
    progressCell(batch),
    h('td', { 'data-label': 'Created' }, timeEl(batch.created_at * 1000)),
    actionsCell(batch, actions),
  );
}

export default {
  id: 'batches',
  title: 'Batches',
  mount(container, { api, setConnection, route }) {
    // #/batches/<id> (linked from an event's detail) marks that batch's row.
    const wanted = route?.rest ? decodeURIComponent(route.rest) : null;
    const status = h('p', { class: 'error', role: 'alert' });
    const body = h('tbody');
    const table = h(
      'table',
      { class: 'stack' },
      h('thead', {}, h('tr', {}, ...['Batch', 'Status', 'Progress', 'Created', ''].map((t) => h('th', {}, t)))),
      body,
    );
    container.append(h('h1', {}, 'Batches'), status, table);
    let timer = null;
    let stopped = false;
    const report = (message) => {
      status.textContent = message;
    };
    async function refresh() {
      try {
        const page = await api('/v1/batches?limit=100');
        if (stopped) return;
        clear(body);
        if (page.data.length === 0) body.append(h('tr', {}, h('td', { colspan: '5' }, 'No batches yet.')));
        for (const batch of page.data) {
          const tr = row(batch, { api, report, refresh });
          if (batch.id === wanted) tr.setAttribute('aria-current', 'true');
          body.append(tr);
        }
      } catch (error) {
        report(error.message);
      }
    }
    const loop = () => {
      refresh().finally(() => {
        if (!stopped) timer = setTimeout(loop, POLL_MS);
      });
    };
    let pending = null;
    const soon = () => {
      pending ??= setTimeout(() => {
        pending = null;
        refresh();
      }, DEBOUNCE_MS);
    };
    const stream = followEvents({
      token: session.token ?? '',
      source: 'ai',
      type: 'batch.*',
      onEvent: soon,
      onState: (state) => setConnection?.(state),
      onGap: soon,
    });
    loop();
    return () => {
      stopped = true;
      stream.close();
      clearTimeout(timer);
      clearTimeout(pending);
      setConnection?.('offline');
    };
  },
};

// Workflows: each file with its validity and error, the runs of the selected workflow with a step
// timeline, and one run's detail (trigger event in, step outputs out) with cancel and re-run.
import { clear, h } from '../lib/dom.js';

const FINISHED = new Set(['succeeded', 'failed', 'filtered', 'cancelled']);
// The same colours as the other pages: green for good states, red for bad ones.
const BADGE = {
  succeeded: 'ok',
  valid: 'ok',
  failed: 'bad',
  cancelled: 'bad',
  invalid: 'bad',
  'invalid (serving last good)': 'warn',
};
const REFRESH_MS = 2000;

const badge = (status) => h('span', { class: `badge ${BADGE[status] ?? ''}`, dataset: { status } }, status);
const ms = (a, b) => (a && b ? `${Math.max(0, Date.parse(b) - Date.parse(a))} ms` : '');
const json = (value) => h('pre', {}, JSON.stringify(value, null, 2));

// An invalid file has no trigger to show: "manual only" would claim more than is known.
function triggerText(w) {
  if (w.on) return `${w.on.source ?? 'any source'} · ${(w.on.type ?? []).join(', ') || 'any type'}`;
  return w.valid || w.serving_last_good ? 'manual only' : '';
}

function workflowRow(w, selected, onSelect) {
  const state = w.valid ? badge('valid') : badge(w.serving_last_good ? 'invalid (serving last good)' : 'invalid');
  return h(
    'tr',
    { class: selected ? 'selected' : '', dataset: { workflow: w.name ?? '', file: w.file } },
    h('td', {}, w.name ? h('button', { class: 'link', onclick: () => onSelect(w.name) }, w.name) : h('em', {}, '(unnamed)')),
    h('td', {}, w.file),
    h('td', {}, state, w.error ? h('div', { class: 'error workflow-error' }, w.errors.join('\n')) : null),
    h('td', {}, triggerText(w)),
    h('td', {}, (w.steps ?? []).map((s) => s.id).join(' → ')),
    h('td', {}, w.name ? `${w.running} running, ${w.queued} queued` : ''),
  );
}

function timeline(run) {
  return h(
    'ol',
    { class: 'timeline' },
    run.steps.map((s) =>
      h(
        'li',
        { class: `step ${s.status}`, title: `${s.uses}: ${s.status} ${ms(s.started_at, s.finished_at)}` },
        `${s.id} ${s.status}`,
      ),
    ),
  );
}

function runRow(run, onOpen) {
  return h(
    'tr',
    { dataset: { run: run.id } },
    h('td', {}, h('button', { class: 'link', onclick: () => onOpen(run.id) }, run.id)),
    h('td', {}, badge(run.status)),
    h('td', {}, new Date(run.created_at).toLocaleString()),
    h('td', {}, timeline(run)),
  );
}

function runDetail(run, event, actions) {
  const buttons = h(
    'div',
    { class: 'actions' },
    FINISHED.has(run.status) ? null : h('button', { class: 'cancel', onclick: () => actions.cancel(run.id) }, 'Cancel'),
    FINISHED.has(run.status) ? h('button', { class: 'primary rerun', onclick: () => actions.rerun(run.id) }, 'Re-run') : null,
  );
  return h(
    'section',
    { class: 'run-detail', dataset: { run: run.id } },
    h('h2', {}, `Run ${run.id} `, badge(run.status)),
    buttons,
    run.error ? h('p', { class: 'error' }, `${run.error.step || 'run'}: ${run.error.message}`) : null,
    h('h3', {}, 'Input: trigger event'),
    json(event ?? run.event ?? { id: run.trigger_event_id, note: 'no longer stored' }),
    h('h3', {}, 'Steps'),
    h(
      'table',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'step'),
        h('th', {}, 'status'),
        h('th', {}, 'attempts'),
        h('th', {}, 'time'),
        h('th', {}, 'output / error'),
      ),
      run.steps.map((s) =>
        h(
          'tr',
          { class: 'step-row', dataset: { step: s.id } },
          h('td', {}, `${s.id} (${s.uses})`),
          h(
            'td',
            {},
            badge(s.status),
            s.wake_at && s.status === 'waiting' ? ` until ${new Date(s.wake_at).toLocaleString()}` : '',
          ),
          h('td', {}, String(s.attempts)),
          h('td', {}, ms(s.started_at, s.finished_at)),
          h('td', {}, s.error ? h('div', { class: 'error' }, s.error) : null, s.output !== undefined ? json(s.output) : null),
        ),
      ),
    ),
  );
}

export default {
  id: 'workflows',
  title: 'Workflows',
  mount(container, { api }) {
    const state = { workflow: null, run: null };
    const files = h('tbody');
    const runs = h('section', { class: 'runs' });
    const detail = h('div');
    const message = h('p', { class: 'error', role: 'alert' });
    const reload = h(
      'button',
      { onclick: () => api('/v1/workflows/reload', { method: 'POST' }).then(refresh, show) },
      'Reload files',
    );
    container.append(
      h('h1', {}, 'Workflows'),
      reload,
      message,
      h(
        'table',
        { class: 'workflows' },
        h('thead', {}, h('tr', {}, ...['Name', 'File', 'Validity', 'Trigger', 'Steps', 'Runs'].map((t) => h('th', {}, t)))),
        files,
      ),
      runs,
      detail,
    );
    const show = (error) => {
      message.textContent = error.message;
    };
    const actions = {
      cancel: (id) => api(`/v1/runs/${id}/cancel`, { method: 'POST' }).then(refresh, show),
      rerun: (id) =>
        api(`/v1/runs/${id}/rerun`, { method: 'POST' }).then((run) => {
          state.run = run.id;
          return refresh();
        }, show),
    };

    async function refresh() {
      const list = await api('/v1/workflows');
      const empty = h('tr', {}, h('td', { colspan: 6 }, `No workflow files in ${list.dir ?? 'the workflows folder'} yet.`));
      clear(files).append(
        ...(list.data.length ? list.data.map((w) => workflowRow(w, w.name === state.workflow, select)) : [empty]),
      );
      if (state.workflow) {
        const page = await api(`/v1/workflows/${encodeURIComponent(state.workflow)}/runs?limit=50`);
        clear(runs).append(
          h('h2', {}, `Runs of ${state.workflow}`),
          page.data.length === 0
            ? h('p', {}, 'No runs yet.')
            : h(
                'table',
                { class: 'runs' },
                h('thead', {}, h('tr', {}, ...['Run', 'Status', 'Created', 'Steps'].map((t) => h('th', {}, t)))),
                h(
                  'tbody',
                  {},
                  page.data.map((r) => runRow(r, open)),
                ),
              ),
        );
      }
      if (state.run) {
        const run = await api(`/v1/runs/${state.run}`);
        const event = run.trigger_event_id ? await api(`/v1/events/${run.trigger_event_id}`).catch(() => null) : null;
        clear(detail).append(runDetail(run, event, actions));
      }
      message.textContent = '';
    }
    function select(name) {
      state.workflow = name;
      state.run = null;
      clear(detail);
      refresh().catch(show);
    }
    function open(id) {
      state.run = id;
      refresh().catch(show);
    }
    refresh().catch(show);
    const timer = setInterval(() => refresh().catch(show), REFRESH_MS);
    return () => clearInterval(timer);
  },
};

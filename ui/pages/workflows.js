// Workflows: each file with its validity and errors; the selected workflow's steps as a graph, a dry run
// against a stored event, its runs with a step timeline; one run in full (see workflows/run-view.js)
// with Cancel and Re-run. #/workflows/<name>/<run id> opens a run (the event detail links there).
import { clear, h } from '../lib/dom.js';
import { statusBadge, toolbar } from '../lib/parts.js';
import { timeEl } from '../lib/time.js';
import { renderDryRun } from './workflows/dry-run-view.js';
import { workflowGraph } from './workflows/graph.js';
import { duration, runView } from './workflows/run-view.js';

const BADGE = { valid: 'ok', invalid: 'bad', 'invalid (serving last good)': 'warn' };
const REFRESH_MS = 2000;

const fileBadge = (status) => h('span', { class: `badge ${BADGE[status] ?? ''}`, dataset: { status } }, status);

// An invalid file has no trigger to show: "manual only" would claim more than is known.
function triggerText(w) {
  if (w.on) return `${w.on.source ?? 'any source'} · ${(w.on.type ?? []).join(', ') || 'any type'}`;
  return w.valid || w.serving_last_good ? 'manual only' : '';
}

function workflowRow(w, selected, onSelect) {
  const state = w.valid ? fileBadge('valid') : fileBadge(w.serving_last_good ? 'invalid (serving last good)' : 'invalid');
  return h(
    'tr',
    { class: selected ? 'selected' : '', dataset: { workflow: w.name ?? '', file: w.file } },
    h(
      'td',
      { 'data-label': 'Name' },
      w.name ? h('button', { type: 'button', class: 'link', onclick: () => onSelect(w.name) }, w.name) : h('em', {}, '(unnamed)'),
    ),
    h('td', { 'data-label': 'File' }, w.file),
    h(
      'td',
      { 'data-label': 'Validity' },
      state,
      w.error ? h('div', { class: 'error workflow-error' }, w.errors.join('\n')) : null,
    ),
    h('td', { 'data-label': 'Trigger' }, triggerText(w)),
    h('td', { 'data-label': 'Steps' }, (w.steps ?? []).map((s) => s.id).join(' → ')),
    h('td', { 'data-label': 'Runs' }, w.name ? `${w.running} running, ${w.queued} queued` : ''),
  );
}

function timeline(run) {
  return h(
    'ol',
    { class: 'timeline' },
    run.steps.map((s) =>
      h(
        'li',
        { class: `step ${s.status}`, title: `${s.uses}: ${s.status} ${duration(s.started_at, s.finished_at)}` },
        `${s.id} ${s.status}`,
      ),
    ),
  );
}

function runRow(run, onOpen) {
  return h(
    'tr',
    { dataset: { run: run.id } },
    h('td', { 'data-label': 'Run' }, h('button', { type: 'button', class: 'link', onclick: () => onOpen(run.id) }, run.id)),
    h('td', { 'data-label': 'Status' }, statusBadge(run.status)),
    h('td', { 'data-label': 'Created' }, timeEl(run.created_at)),
    h('td', { 'data-label': 'Steps' }, timeline(run)),
  );
}

/** The dry-run form: an event id (recent events offered) and a button; the result shows below. */
function dryRunForm(api, name) {
  const recent = h('datalist', { id: 'dry-run-events' });
  const eventId = h('input', {
    name: 'event_id',
    list: 'dry-run-events',
    placeholder: 'evt_…',
    required: true,
    autocomplete: 'off',
  });
  const result = h('div', { class: 'dry-run-result' });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'dry-run-form', 'aria-label': `Dry run of ${name}` },
    h('label', {}, 'Event ', eventId),
    recent,
    h('button', { type: 'submit' }, 'Dry run'),
    message,
    result,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    message.textContent = '';
    try {
      const body = { event_id: eventId.value.trim() };
      renderDryRun(result, await api(`/v1/workflows/${encodeURIComponent(name)}/dry-run`, { method: 'POST', body }));
    } catch (error) {
      message.textContent = error.message;
    }
  });
  api('/v1/events?tail=true&limit=20').then(
    (page) => {
      for (const event of page.data.toReversed())
        recent.append(h('option', { value: event.id }, `${event.source} ${event.type}`));
    },
    () => {},
  );
  return form;
}

export default {
  id: 'workflows',
  title: 'Workflows',
  mount(container, { api, route }) {
    const [routeName, routeRun] = route.rest.split('/').map((part) => (part ? decodeURIComponent(part) : null));
    const state = { workflow: routeName ?? null, run: routeRun ?? null };
    const files = h('tbody');
    const selectedBox = h('section', { class: 'workflow-selected' });
    const runs = h('section', { class: 'runs' });
    const detail = h('div');
    const message = h('p', { class: 'error', role: 'alert' });
    const reload = h(
      'button',
      { type: 'button', onclick: () => api('/v1/workflows/reload', { method: 'POST' }).then(refresh, show) },
      'Reload files',
    );
    container.append(
      toolbar('Workflows', reload),
      message,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'workflows stack' },
          h(
            'thead',
            {},
            h('tr', {}, ...['Name', 'File', 'Validity', 'Trigger', 'Steps', 'Runs'].map((t) => h('th', { scope: 'col' }, t))),
          ),
          files,
        ),
      ),
      selectedBox,
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
          open(run.id);
        }, show),
    };
    // What was drawn last, so a refresh that changes nothing leaves open <details> and focus alone.
    const drawn = { graphFor: null, graph: '', runs: '', run: '' };

    function drawSelected(w, run) {
      const key = JSON.stringify([w.steps, w.on_error, run?.steps.map((s) => s.status)]);
      const graph = () => h('div', { class: 'graph-box' }, workflowGraph(w, run));
      if (drawn.graphFor !== w.name) {
        clear(selectedBox).append(h('h2', {}, w.name), graph(), h('h3', {}, 'Dry run'), dryRunForm(api, w.name));
      } else if (drawn.graph !== key) selectedBox.querySelector('.graph-box').replaceWith(graph());
      drawn.graphFor = w.name;
      drawn.graph = key;
    }

    async function refresh() {
      const list = await api('/v1/workflows');
      const empty = h('tr', {}, h('td', { colspan: 6 }, `No workflow files in ${list.dir ?? 'the workflows folder'} yet.`));
      clear(files).append(
        ...(list.data.length ? list.data.map((w) => workflowRow(w, w.name === state.workflow, select)) : [empty]),
      );
      const current = list.data.find((w) => w.name === state.workflow);
      let run = null;
      if (state.run) {
        run = await api(`/v1/runs/${encodeURIComponent(state.run)}`);
        const key = JSON.stringify(run);
        if (drawn.run !== key) {
          drawn.run = key;
          const event = run.trigger_event_id ? await api(`/v1/events/${run.trigger_event_id}`).catch(() => null) : null;
          clear(detail).append(runView(run, event, actions));
        }
      }
      if (current) drawSelected(current, run);
      if (state.workflow) {
        const page = await api(`/v1/workflows/${encodeURIComponent(state.workflow)}/runs?limit=50`);
        const key = JSON.stringify(page.data);
        if (drawn.runs !== key) {
          drawn.runs = key;
          clear(runs).append(
            h('h2', {}, `Runs of ${state.workflow}`),
            page.data.length === 0
              ? h('p', {}, 'No runs yet.')
              : h(
                  'div',
                  { class: 'table-scroll' },
                  h(
                    'table',
                    { class: 'runs stack' },
                    h(
                      'thead',
                      {},
                      h('tr', {}, ...['Run', 'Status', 'Created', 'Steps'].map((t) => h('th', { scope: 'col' }, t))),
                    ),
                    h(
                      'tbody',
                      {},
                      page.data.map((r) => runRow(r, open)),
                    ),
                  ),
                ),
          );
        }
      }
      message.textContent = '';
    }
    function remember() {
      const parts = [state.workflow, state.run].filter(Boolean).map(encodeURIComponent);
      history.replaceState(null, '', `#/workflows${parts.length ? `/${parts.join('/')}` : ''}`);
    }
    function select(name) {
      state.workflow = name;
      state.run = null;
      drawn.run = '';
      clear(detail);
      remember();
      refresh().catch(show);
    }
    function open(id) {
      state.run = id;
      remember();
      refresh().catch(show);
    }
    refresh().catch(show);
    const timer = setInterval(() => refresh().catch(show), REFRESH_MS);
    return () => clearInterval(timer);
  },
};

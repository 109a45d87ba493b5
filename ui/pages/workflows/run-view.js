// One run in full: per step its input, output, timing, attempts (retries) and error; for a `foreach`
// step each item's result; parallel branches (steps with a `group`) marked; a wait.callback step's
// callback URL while it waits. Fields the run record does not carry are simply not shown.
import { h } from '../../lib/dom.js';
import { jsonBlock, statusBadge } from '../../lib/parts.js';
import { timeEl } from '../../lib/time.js';

export const FINISHED = new Set(['succeeded', 'failed', 'filtered', 'cancelled']);

/** Milliseconds between two ISO times, as text ('' when either is missing). */
export function duration(a, b) {
  if (!a || !b) return '';
  const ms = Math.max(0, Date.parse(b) - Date.parse(a));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function itemsTable(items) {
  return h(
    'table',
    { class: 'foreach-items' },
    h('caption', {}, `${items.length} item${items.length === 1 ? '' : 's'}`),
    h(
      'thead',
      {},
      h('tr', {}, ...['#', 'status', 'attempts', 'time', 'output / error'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    h(
      'tbody',
      {},
      items.map((item) =>
        h(
          'tr',
          { dataset: { index: String(item.index), status: item.status ?? '' } },
          h('td', {}, String(item.index)),
          h('td', {}, statusBadge(item.status)),
          h('td', {}, String(item.attempts ?? '')),
          h('td', {}, duration(item.started_at, item.ended_at ?? item.finished_at)),
          h(
            'td',
            {},
            item.error ? h('div', { class: 'error' }, String(item.error)) : null,
            item.output !== undefined && item.output !== null
              ? jsonBlock(item.output, { label: `item ${item.index} output` })
              : null,
          ),
        ),
      ),
    ),
  );
}

function stepCard(step) {
  const retries = Math.max(0, (step.attempts ?? 0) - 1);
  return h(
    'li',
    { class: `step-card ${step.status}`, dataset: { step: step.id, status: step.status, group: step.group ?? '' } },
    h(
      'div',
      { class: 'step-head' },
      h('strong', {}, step.id),
      ` (${step.uses}) `,
      statusBadge(step.status),
      step.group
        ? h(
            'span',
            { class: 'badge group', title: 'Runs in parallel with the other steps of this group' },
            `parallel: ${step.group}`,
          )
        : null,
      step.phase === 'onError' ? h('span', { class: 'badge warn' }, 'onError') : null,
    ),
    h(
      'p',
      { class: 'step-timing muted' },
      step.started_at ? ['started ', timeEl(step.started_at)] : 'not started',
      step.finished_at ? `, took ${duration(step.started_at, step.finished_at)}` : '',
      `, ${step.attempts ?? 0} attempt${step.attempts === 1 ? '' : 's'}${retries ? ` (${retries} retr${retries === 1 ? 'y' : 'ies'})` : ''}`,
      step.wake_at && step.status === 'waiting' ? [', waiting until ', timeEl(step.wake_at)] : '',
    ),
    step.waiting || step.callback_url
      ? h(
          'p',
          { class: 'callback' },
          step.waiting ? 'Waiting for a callback at ' : 'Callback URL: ',
          h('code', {}, step.callback_url ?? '(not given)'),
        )
      : null,
    step.error ? h('p', { class: 'error' }, step.error) : null,
    step.input !== undefined
      ? h('details', {}, h('summary', {}, 'Input'), jsonBlock(step.input, { label: `${step.id} input` }))
      : null,
    step.output !== undefined && step.output !== null
      ? h('details', { open: !step.items }, h('summary', {}, 'Output'), jsonBlock(step.output, { label: `${step.id} output` }))
      : null,
    Array.isArray(step.items) ? itemsTable(step.items) : null,
  );
}

/** The run's header, actions, trigger event and step cards. */
export function runView(run, event, actions) {
  const finished = FINISHED.has(run.status);
  return h(
    'section',
    { class: 'run-detail', dataset: { run: run.id, status: run.status }, 'aria-labelledby': 'run-title' },
    h('h2', { id: 'run-title' }, `Run ${run.id} `, statusBadge(run.status)),
    h(
      'p',
      { class: 'muted' },
      'created ',
      timeEl(run.created_at),
      run.finished_at ? `, took ${duration(run.started_at ?? run.created_at, run.finished_at)}` : '',
      run.rerun_of ? `, re-run of ${run.rerun_of}` : '',
    ),
    h(
      'div',
      { class: 'button-row' },
      finished ? null : h('button', { type: 'button', class: 'cancel', onclick: () => actions.cancel(run.id) }, 'Cancel'),
      finished ? h('button', { type: 'button', class: 'primary rerun', onclick: () => actions.rerun(run.id) }, 'Re-run') : null,
      run.trigger_event_id
        ? h('a', { href: `#/events/${encodeURIComponent(run.trigger_event_id)}` }, 'Open the trigger event')
        : null,
    ),
    run.error ? h('p', { class: 'error' }, `${run.error.step || 'run'}: ${run.error.message}`) : null,
    h('h3', {}, 'Steps'),
    h('ol', { class: 'step-cards' }, run.steps.map(stepCard)),
    h('h3', {}, 'Input: trigger event'),
    jsonBlock(event ?? run.event ?? { id: run.trigger_event_id, note: 'no longer stored' }, { label: 'Trigger event' }),
  );
}

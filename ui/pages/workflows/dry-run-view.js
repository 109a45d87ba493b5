// The result of POST /v1/workflows/:name/dry-run: whether the event would trigger the workflow, and
// per step its status, the input it got (or would get; a foreach step: one per item) and the output
// of the steps that ran; branches of a parallel group marked.
import { h } from '../../lib/dom.js';
import { jsonBlock } from '../../lib/parts.js';

const CLASS = { succeeded: 'ok', filtered: 'warn', failed: 'bad', skipped: '', not_run: '' };

export function renderDryRun(box, result) {
  box.replaceChildren(
    h(
      'section',
      { class: 'dry-run', dataset: { status: result.status }, 'aria-label': `Dry run of ${result.workflow}` },
      h('h3', {}, `Dry run of ${result.workflow}: `, h('span', { class: `badge ${CLASS[result.status] ?? ''}` }, result.status)),
      h(
        'p',
        { class: result.trigger.matches ? '' : 'muted' },
        result.trigger.matches ? 'This event would trigger it: ' : 'This event would not trigger it by itself: ',
        result.trigger.reason,
      ),
      h(
        'p',
        { class: 'muted' },
        'Nothing was stored or sent: filter and transform ran, other steps show the input they would get.',
      ),
      h(
        'ol',
        { class: 'dry-steps' },
        result.steps.map((step) =>
          h(
            'li',
            { dataset: { step: step.id, status: step.status, group: step.group ?? '' } },
            h('strong', {}, step.id),
            ` (${step.uses}) `,
            step.group
              ? h(
                  'span',
                  { class: 'badge group', title: 'Runs in parallel with the other steps of this group' },
                  `parallel: ${step.group}`,
                )
              : null,
            step.group ? ' ' : null,
            h(
              'span',
              { class: `badge ${CLASS[step.status] ?? ''}` },
              step.status === 'not_run' ? 'not run (side effect)' : step.status,
            ),
            ` ${step.duration_ms} ms`,
            step.error ? h('p', { class: 'error' }, step.error) : null,
            step.input !== null
              ? h('details', {}, h('summary', {}, 'Input'), jsonBlock(step.input, { label: `${step.id} input` }))
              : null,
            step.status === 'succeeded' || step.status === 'filtered'
              ? h('details', { open: true }, h('summary', {}, 'Output'), jsonBlock(step.output, { label: `${step.id} output` }))
              : null,
          ),
        ),
      ),
    ),
  );
}

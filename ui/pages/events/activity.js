// "What it caused" in the event detail: the request facts, every delivery (with its attempts), every
// workflow run, every AI response or batch the event is about, each linked to its page; and the actions
// Resend (replay to chosen endpoints) and Run workflow (a manual run on this event), whose results show
// up here as the activity is read again every second while the event is open.
import { h } from '../../lib/dom.js';
import { statusBadge } from '../../lib/parts.js';
import { timeEl } from '../../lib/time.js';
import { renderDryRun } from '../workflows/dry-run-view.js';

export const ACTIVITY_POLL_MS = 1000;

/** Human size: bytes up to 10 KiB, then KiB / MiB with one decimal. */
export function formatSize(bytes) {
  if (bytes === null || bytes === undefined) return 'unknown';
  if (bytes < 10 * 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function attemptsList(delivery) {
  if (delivery.attempts.length === 0) return h('span', { class: 'muted' }, delivery.sending ? 'sending…' : 'no attempt yet');
  return h(
    'ol',
    { class: 'attempts' },
    delivery.attempts.map((a) =>
      h(
        'li',
        { dataset: { code: String(a.status_code ?? '') } },
        timeEl(a.at),
        ` ${a.status_code === null ? 'no response' : `HTTP ${a.status_code}`} in ${a.latency_ms} ms`,
        a.error && a.error !== `HTTP ${a.status_code}` ? h('span', { class: 'error' }, ` ${a.error}`) : null,
      ),
    ),
  );
}

function deliveriesSection(deliveries) {
  if (deliveries.length === 0) return h('p', { class: 'muted' }, 'No deliveries: no endpoint matched, and none was resent.');
  return h(
    'ul',
    { class: 'caused deliveries-caused' },
    deliveries.map((d) =>
      h(
        'li',
        { dataset: { delivery: d.id, endpoint: d.endpoint_id ?? '', status: d.status } },
        h(
          'div',
          { class: 'caused-head' },
          statusBadge(d.sending ? 'sending' : d.status),
          ' ',
          d.endpoint_id
            ? h('a', { href: `#/endpoints/${encodeURIComponent(d.endpoint_id)}` }, d.endpoint_url ?? d.endpoint_id)
            : h('code', {}, d.url ?? '(url)'),
          h('small', { class: 'muted' }, ` ${d.origin}, ${d.attempt_count} attempt${d.attempt_count === 1 ? '' : 's'}`),
        ),
        attemptsList(d),
      ),
    ),
  );
}

function runsSection(runs) {
  if (runs.length === 0) return h('p', { class: 'muted' }, 'No workflow runs.');
  return h(
    'ul',
    { class: 'caused runs-caused' },
    runs.map((r) =>
      h(
        'li',
        { dataset: { run: r.id, status: r.status } },
        h(
          'div',
          { class: 'caused-head' },
          statusBadge(r.status),
          ' ',
          h(
            'a',
            { href: `#/workflows/${encodeURIComponent(r.workflow)}/${encodeURIComponent(r.id)}` },
            `${r.workflow} · ${r.id}`,
          ),
          ' ',
          timeEl(r.created_at),
        ),
        h('p', { class: 'steps-line' }, r.steps.map((s) => `${s.id}: ${s.status}`).join(' → ') || 'no step started'),
      ),
    ),
  );
}

function objectsSection(responses, batches) {
  const items = [
    ...responses.map((r) => ({ ...r, href: `#/responses/${encodeURIComponent(r.id)}` })),
    ...batches.map((b) => ({ ...b, href: `#/batches/${encodeURIComponent(b.id)}` })),
  ];
  if (items.length === 0) return h('p', { class: 'muted' }, 'Not about an AI response or batch.');
  return h(
    'ul',
    { class: 'caused objects-caused' },
    items.map((o) =>
      h('li', {}, statusBadge(o.status), ' ', h('a', { href: o.href }, `${o.object} ${o.id}`), o.model ? ` (${o.model})` : ''),
    ),
  );
}

/** The request facts as <dl> entries (method and path, client address, size, content type; internal events had no request). */
export function requestFacts(request, fact) {
  return [
    fact('request', request.internal ? 'none: emitted by the relay itself' : h('code', {}, `${request.method} ${request.path}`)),
    request.internal ? null : fact('client', request.client_ip ?? 'unknown'),
    fact('size', `${formatSize(request.size)}${request.content_type ? ` · ${request.content_type}` : ''}`),
  ];
}

/** Renders the three lists into `box`. */
export function renderActivity(box, activity) {
  box.replaceChildren(
    h('h3', {}, `Deliveries (${activity.deliveries.length})`),
    deliveriesSection(activity.deliveries),
    h('h3', {}, `Workflow runs (${activity.runs.length})`),
    runsSection(activity.runs),
    h('h3', {}, 'AI responses and batches'),
    objectsSection(activity.responses, activity.batches),
  );
}

/**
 * Resend and Run workflow: endpoints and workflows are offered as loaded from the relay. `onDone` is
 * called after an action so the activity is read again at once.
 */
export function actionsForm(api, eventId, { onDone, say }) {
  const endpointsBox = h('fieldset', { class: 'choices' }, h('legend', {}, 'Resend to'));
  const resend = h('button', { type: 'submit', class: 'primary' }, 'Resend');
  const workflow = h('select', { name: 'workflow', 'aria-label': 'Workflow to run' });
  const run = h('button', { type: 'button' }, 'Run workflow');
  const dry = h('button', { type: 'button' }, 'Dry run');
  const dryResult = h('div', { class: 'dry-run-result' });

  const form = h(
    'form',
    { class: 'event-actions', 'aria-label': 'Resend or run' },
    endpointsBox,
    h('div', { class: 'button-row' }, resend),
    h('div', { class: 'button-row' }, h('label', {}, 'Workflow ', workflow), run, dry),
    dryResult,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const chosen = [...endpointsBox.querySelectorAll('input:checked')].map((input) => input.value);
    if (chosen.length === 0) return say('Tick one or more endpoints to resend to.', true);
    try {
      const made = [];
      for (const id of chosen) {
        const d = await api(`/v1/endpoints/${encodeURIComponent(id)}/replay`, { method: 'POST', body: { event_id: eventId } });
        made.push(d.id);
      }
      say(`Resent as ${made.join(', ')}.`);
      onDone();
    } catch (error) {
      say(error.message, true);
    }
  });
  run.addEventListener('click', async () => {
    if (!workflow.value) return say('No workflow to run.', true);
    try {
      const r = await api(`/v1/workflows/${encodeURIComponent(workflow.value)}/runs`, {
        method: 'POST',
        body: { event_id: eventId },
      });
      say(`Started run ${r.id} of ${workflow.value}.`);
      onDone();
    } catch (error) {
      say(error.message, true);
    }
  });
  dry.addEventListener('click', async () => {
    if (!workflow.value) return say('No workflow to dry-run.', true);
    try {
      const result = await api(`/v1/workflows/${encodeURIComponent(workflow.value)}/dry-run`, {
        method: 'POST',
        body: { event_id: eventId },
      });
      renderDryRun(dryResult, result);
    } catch (error) {
      say(error.message, true);
    }
  });

  async function load() {
    const [endpoints, workflows] = await Promise.all([
      api('/v1/endpoints').catch(() => ({ data: [] })),
      api('/v1/workflows').catch(() => ({ data: [] })),
    ]);
    endpointsBox.replaceChildren(
      h('legend', {}, 'Resend to'),
      ...(endpoints.data.length
        ? endpoints.data.map((ep) =>
            h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'endpoint', value: ep.id }), ` ${ep.url}`),
          )
        : [h('p', { class: 'muted' }, 'No endpoints yet (create one on the Endpoints page).')]),
    );
    resend.disabled = endpoints.data.length === 0;
    const names = workflows.data.filter((w) => w.name && (w.valid || w.serving_last_good)).map((w) => w.name);
    workflow.replaceChildren(...names.map((name) => h('option', { value: name }, name)));
    run.disabled = dry.disabled = names.length === 0;
  }
  load();
  return form;
}

// Responses: submit a prompt to an OpenAI-compatible upstream through the relay's background mode,
// watch the status and the text stream in live, cancel, see usage; recent responses below.
import { api, session } from '../lib/api.js';
import { clear, h } from '../lib/dom.js';
import { isGlob } from '../lib/glob.js';
import { timeEl } from '../lib/time.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'incomplete']);
const LIST_REFRESH_MS = 3000;

/** Reads an SSE response body (fetch, so the token goes in a header) and calls onEvent per data frame. */
async function readEvents(res, onEvent) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const frames = buffered.split('\n\n');
    buffered = frames.pop();
    for (const frame of frames) {
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (data) onEvent(JSON.parse(data.slice(6)));
    }
  }
}

function usageText(usage) {
  if (!usage) return 'usage: not reported';
  return `usage: ${usage.input_tokens} in, ${usage.output_tokens} out, ${usage.total_tokens} total tokens`;
}

function duration(r) {
  return r.duration_ms === null || r.duration_ms === undefined ? '…' : `${(r.duration_ms / 1000).toFixed(1)} s`;
}

/** The panel that follows one response: status, streamed text, usage, cancel. */
function watcher() {
  const status = h('span', { class: 'badge', 'data-testid': 'status' }, 'idle');
  const idLabel = h('code', {}, '');
  const text = h('pre', { class: 'response-text', 'data-testid': 'text', 'aria-live': 'polite' }, '');
  const usage = h('p', { class: 'muted', 'data-testid': 'usage' }, '');
  const error = h('p', { class: 'error', role: 'alert' }, '');
  const cancel = h('button', { type: 'button', disabled: true }, 'Cancel');
  let controller = null;
  let currentId = null;

  function show(state) {
    status.textContent = state;
    status.className = `badge ${state === 'completed' ? 'ok' : state === 'failed' || state === 'cancelled' ? 'bad' : ''}`;
    cancel.disabled = TERMINAL.has(state) || currentId === null;
  }

  function onEvent(event) {
    if (event.type === 'response.output_text.delta') text.textContent += event.delta;
    if (event.response) {
      show(event.response.status);
      if (TERMINAL.has(event.response.status)) usage.textContent = usageText(event.response.usage);
      if (event.response.error) error.textContent = event.response.error.message;
    }
  }

  async function follow(id) {
    controller?.abort();
    controller = new AbortController();
    currentId = id;
    idLabel.textContent = id;
    text.textContent = '';
    usage.textContent = '';
    error.textContent = '';
    show('queued');
    try {
      const res = await fetch(`/v1/responses/${encodeURIComponent(id)}?stream=true`, {
        headers: { authorization: `Bearer ${session.token}` },
        signal: controller.signal,
      });
      if (!res.ok) throw new Error((await res.json()).error?.message ?? res.statusText);
      await readEvents(res, onEvent);
    } catch (err) {
      if (err.name !== 'AbortError') error.textContent = err.message;
    }
  }

  cancel.addEventListener('click', async () => {
    if (!currentId) return;
    cancel.disabled = true;
    try {
      show((await api(`/v1/responses/${encodeURIComponent(currentId)}/cancel`, { method: 'POST' })).status);
    } catch (err) {
      error.textContent = err.message;
    }
  });

  const element = h(
    'section',
    { class: 'response-watch' },
    h('p', {}, 'Response ', idLabel, ' ', status, ' ', cancel),
    text,
    usage,
    error,
  );
  return { element, follow, stop: () => controller?.abort() };
}

function promptForm(models, onSubmit) {
  const model = h('input', { name: 'model', list: 'ai-models', required: true, placeholder: 'model', value: models[0] ?? '' });
  const prompt = h('textarea', { name: 'input', rows: 4, required: true, placeholder: 'Prompt' });
  const priority = h('select', { name: 'priority' }, ...['normal', 'high', 'low'].map((p) => h('option', { value: p }, p)));
  const error = h('p', { class: 'error', role: 'alert' }, '');
  const form = h(
    'form',
    { class: 'response-form' },
    h('datalist', { id: 'ai-models' }, ...models.map((m) => h('option', { value: m }))),
    h('label', {}, 'Model ', model),
    h('label', {}, 'Priority ', priority),
    h('label', { class: 'wide' }, 'Prompt ', prompt),
    h('button', { type: 'submit', class: 'primary' }, 'Submit'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      await onSubmit({ model: model.value.trim(), input: prompt.value, priority: priority.value, background: true });
    } catch (err) {
      error.textContent = err.message;
    }
  });
  return form;
}

const statusBadge = (state) =>
  h('span', { class: `badge ${state === 'completed' ? 'ok' : state === 'failed' || state === 'cancelled' ? 'bad' : ''}` }, state);

function recentList(onPick) {
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'response-list stack' },
    h('thead', {}, h('tr', {}, ...['Response', 'Model', 'Status', 'Created', 'Duration'].map((t) => h('th', {}, t)))),
    body,
  );
  const pick = (event, id) => {
    event.preventDefault();
    onPick(id);
  };
  async function refresh() {
    const page = await api('/v1/responses?limit=20');
    clear(body).append(
      ...page.data.map((r) =>
        h(
          'tr',
          { dataset: { id: r.id } },
          h('td', { 'data-label': 'Response' }, h('a', { href: '#/responses', onclick: (e) => pick(e, r.id) }, r.id)),
          h('td', { 'data-label': 'Model' }, r.model),
          h('td', { 'data-label': 'Status' }, statusBadge(r.status)),
          h('td', { 'data-label': 'Created' }, timeEl(r.created_at * 1000)),
          h('td', { 'data-label': 'Duration' }, duration(r)),
        ),
      ),
    );
  }
  return { element: table, refresh };
}

export default {
  id: 'responses',
  title: 'Responses',
  mount(container, { route }) {
    const watch = watcher();
    const recent = recentList((id) => watch.follow(id));
    // #/responses/<id> (linked from an event's detail) follows that response.
    if (route.rest) watch.follow(decodeURIComponent(route.rest));
    const formSlot = h('div');
    container.append(h('h1', {}, 'Responses'), formSlot, watch.element, h('h2', {}, 'Recent'), recent.element);
    api('/v1/ai/upstreams').then(
      (list) => {
        // Literal model names from the upstreams' globs (patterns with * or ? are not offered).
        const models = list.data.flatMap((u) => u.models.filter((m) => !isGlob(m)));
        // Without an upstream every submit would fail with model_not_found: say so up front.
        if (list.data.length === 0)
          formSlot.append(
            h(
              'p',
              { class: 'message', role: 'status' },
              'No AI upstream is configured: add one under ai.upstreams in the config (see docs/ai.md).',
            ),
          );
        formSlot.append(
          promptForm(models, async (body) => {
            const created = await api('/v1/responses', { method: 'POST', body });
            watch.follow(created.id);
            recent.refresh();
          }),
        );
      },
      (err) => formSlot.append(h('p', { class: 'error' }, err.message)),
    );
    const refresh = () => recent.refresh().catch(() => {});
    refresh();
    const timer = setInterval(refresh, LIST_REFRESH_MS);
    return () => {
      clearInterval(timer);
      watch.stop();
    };
  },
};

import { BATCHES, definePlugin, FILES, type StepContext } from '../sdk.ts';

interface Params {
  /** A batch run by this relay: its output and error files are read. */
  batch_id?: string;
  /** Or one file stored in this relay. */
  file_id?: string;
  /** Or a file elsewhere, e.g. OpenAI's `https://api.openai.com/v1/files/<id>/content`. */
  url?: string;
  headers?: Record<string, string>;
  /** Event type emitted per line; default `batch.result`. */
  type?: string;
  /** At most this many lines are read; default 50,000. */
  maxLines?: number;
}

interface ResultLine {
  custom_id?: string;
  response?: { status_code?: number; body?: unknown } | null;
  error?: unknown;
}

const PROGRESS_EVERY = 100;

/** The text of every file the parameters name, in order (output first, then errors). */
async function readSources(ctx: StepContext, params: Params): Promise<string[]> {
  const files = ctx.services.get(FILES);
  if (params.url) {
    const res = await ctx.fetch(params.url, { headers: params.headers, signal: ctx.signal });
    if (!res.ok) throw new Error(`GET ${params.url} answered ${res.status}`);
    return [await res.text()];
  }
  if (!files) throw new Error('batch.results: this relay does not keep files');
  if (params.file_id) return [(await files.readAll(params.file_id)).toString('utf8')];
  if (!params.batch_id) throw new Error('batch.results: give batch_id, file_id or url');
  const batch = ctx.services.get(BATCHES)?.get(params.batch_id);
  if (!batch) throw new Error(`batch.results: no batch ${params.batch_id}`);
  const ids = [batch.output_file_id, batch.error_file_id].filter((id): id is string => Boolean(id));
  return Promise.all(ids.map(async (id) => (await files.readAll(id)).toString('utf8')));
}

/**
 * Reads a batch's result lines (OpenAI's output/error file format) and emits one event per line with
 * {batch_id, custom_id, ok, status_code, body, error}. How far it got is kept in the run's scratch, so
 * a resumed step does not emit the lines it already emitted (up to PROGRESS_EVERY may repeat after a crash).
 */
export default definePlugin<Params>({
  name: 'batch.results',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Emits one event per line of a batch output/error file; output is {emitted, ok, failed}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batch_id: { type: 'string' },
      file_id: { type: 'string' },
      url: { type: 'string' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      type: { type: 'string', minLength: 1 },
      maxLines: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    },
  },
  async run(ctx, params) {
    const texts = await readSources(ctx, params);
    const lines = texts.flatMap((t) => t.split('\n')).filter((l) => l.trim() !== '');
    const limit = params.maxLines ?? 50_000;
    if (lines.length > limit) throw new Error(`batch.results: ${lines.length} lines, more than maxLines (${limit})`);
    const key = `${ctx.step.id}.emitted`;
    let emitted = Number(ctx.scratch.get(key) ?? 0);
    let ok = 0;
    for (const [i, text] of lines.entries()) {
      const line = JSON.parse(text) as ResultLine;
      const status = line.response?.status_code ?? null;
      const success = status !== null && status >= 200 && status < 300;
      if (success) ok++;
      if (i < emitted) continue;
      const payload = {
        batch_id: params.batch_id ?? null,
        custom_id: line.custom_id ?? null,
        ok: success,
        status_code: status,
        body: line.response?.body ?? null,
        error: line.error ?? null,
      };
      await ctx.emit({ type: params.type ?? 'batch.result', payload });
      emitted = i + 1;
      if (emitted % PROGRESS_EVERY === 0) await ctx.scratch.set(key, emitted);
    }
    await ctx.scratch.set(key, emitted);
    return { emitted: lines.length, ok, failed: lines.length - ok };
  },
});

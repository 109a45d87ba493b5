import express, { type Request } from 'express';
import type { RelayContext } from '../context.ts';
import type { HttpMount } from '../http/mount.ts';
import { RelayError } from '../errors.ts';
import { assertJsonDepth } from '../json-depth.ts';
import { limitParam, optionalString } from '../http/query.ts';
import type { RelayEvent } from '../store/types.ts';
import { CallbackError, type CallbackStore } from './callbacks.ts';
import type { Workflow } from './definition.ts';
import type { DryRun } from './dry-run.ts';
import type { RunEngine } from './engine.ts';
import type { PluginRegistry } from './plugin-registry.ts';
import type { WorkflowRegistry } from './registry.ts';
import { FINISHED, type RunRecord, type RunStatus, type RunStore } from './run-store.ts';
import type { Slots } from './slots.ts';
import type { RunTakeover } from './takeover.ts';
import { runSummary, runView, workflowView } from './views.ts';

/** Request headers a callback keeps: credentials are left out. */
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * POST /callbacks/:token/:step: no token needed beyond the URL's own (unguessable, per run). The
 * callback is stored before the answer; a second one for the same step is 409, one for a finished run 410.
 */
export function callbackRoutes({ root }: HttpMount, deps: { ctx: RelayContext; callbacks: CallbackStore }): void {
  const raw = express.raw({ type: () => true, limit: deps.ctx.config.limits.jsonBodyBytes });
  root.post('/callbacks/:token/:step', raw, async (req, res) => {
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const text = bytes.toString('utf8');
    let body: unknown = text;
    if (String(req.headers['content-type'] ?? '').includes('json') && text !== '') {
      // Bounded like every other JSON body (limits.jsonDepth) before it is parsed.
      assertJsonDepth(bytes, deps.ctx.config.limits.jsonDepth);
      try {
        body = JSON.parse(text);
      } catch {
        throw new RelayError('invalid_json', 'The body is labelled JSON but does not parse as JSON.');
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!DROPPED_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    try {
      const row = await deps.callbacks.receive(String(req.params.token), String(req.params.step), body, headers);
      res.json({ object: 'workflow.callback', run: row.run, step: row.step, received_at: row.received_at });
    } catch (error) {
      if (error instanceof CallbackError) throw new RelayError(error.code, error.message);
      throw error;
    }
  });
}

const STATUSES = new Set(['queued', 'running', 'waiting', 'succeeded', 'failed', 'filtered', 'cancelled']);

export interface WorkflowApiDeps {
  ctx: RelayContext;
  registry: WorkflowRegistry;
  plugins: PluginRegistry;
  runs: RunStore;
  engine: RunEngine;
  slots: Slots;
  takeover: RunTakeover;
  /** Evaluates a workflow against a stored event without side effects (see dry-run.ts). */
  dryRun(workflow: Workflow, event: RelayEvent): Promise<DryRun>;
}

/** /v1/workflows and /v1/runs: every route needs the `workflows` scope. */
export function workflowRoutes({ v1, auth }: HttpMount, deps: WorkflowApiDeps): void {
  const { ctx, registry, runs, engine, slots, takeover } = deps;
  const guard = auth.require('workflows');
  const counts = (name: string) => ({ running: slots.running(name), queued: slots.queued(name) });
  const workflowNamed = (req: Request) => {
    const workflow = registry.get(String(req.params.name));
    if (!workflow) throw new RelayError('workflow_not_found', `No workflow named "${req.params.name}" is loaded.`);
    return workflow;
  };
  const runWithId = (req: Request): RunRecord => {
    const run = runs.get(String(req.params.id));
    if (!run) throw new RelayError('run_not_found', `No run with id "${req.params.id}".`);
    return run;
  };
  const listQuery = (req: Request) => {
    const status = optionalString(req, 'status');
    if (status && !STATUSES.has(status))
      throw new RelayError('invalid_request', `status must be one of ${[...STATUSES].join(', ')}.`);
    return { status: status as RunStatus | undefined, limit: limitParam(req, 50, 500), before: optionalString(req, 'before') };
  };

  v1.get('/workflows', guard, (_req, res) => {
    res.json({
      object: 'list',
      dir: registry.dir,
      data: registry.files().map((f) => workflowView(f, counts)),
      plugins: deps.plugins.list(),
    });
  });
  v1.post('/workflows/reload', guard, async (_req, res) => {
    await registry.reload();
    res.json({ object: 'list', data: registry.files().map((f) => workflowView(f, counts)) });
  });
  v1.get('/workflows/:name', guard, (req, res) => {
    const file = registry.files().find((f) => f.workflow?.name === req.params.name);
    if (!file) throw new RelayError('workflow_not_found', `No workflow named "${req.params.name}" is loaded.`);
    res.json(workflowView(file, counts));
  });
  v1.get('/workflows/:name/runs', guard, (req, res) => {
    const data = runs.list({ workflow: String(req.params.name), ...listQuery(req) });
    res.json({ object: 'list', data: data.map(runSummary), has_more: data.length === listQuery(req).limit });
  });
  v1.post('/workflows/:name/runs', guard, async (req, res) => {
    const workflow = workflowNamed(req);
    const body = (req.body ?? {}) as { event_id?: unknown; event?: unknown };
    if (typeof body.event_id === 'string') {
      const event = await ctx.storage.events.get(body.event_id);
      if (!event) throw new RelayError('not_found', `No event with id "${body.event_id}".`);
      res.status(201).json(runView(await engine.start(workflow, { event })));
      return;
    }
    if (body.event === undefined || body.event === null || typeof body.event !== 'object') {
      throw new RelayError('invalid_request', 'Send {"event_id": "evt_..."} or {"event": {"type": "...", "payload": {...}}}.');
    }
    const given = body.event as Record<string, unknown>;
    const inline = {
      id: null,
      source: typeof given.source === 'string' ? given.source : 'manual',
      type: typeof given.type === 'string' ? given.type : 'manual',
      received_at: new Date(ctx.clock.now()).toISOString(),
      headers: {},
      payload: given.payload ?? null,
    };
    res.status(201).json(runView(await engine.start(workflow, { inline })));
  });
  v1.post('/workflows/:name/dry-run', guard, async (req, res) => {
    const workflow = workflowNamed(req);
    const eventId = (req.body as { event_id?: unknown } | undefined)?.event_id;
    if (typeof eventId !== 'string' || eventId === '')
      throw new RelayError('invalid_request', 'Send {"event_id": "evt_..."}: the stored event to evaluate the workflow against.');
    const event = await ctx.storage.events.get(eventId);
    if (!event) throw new RelayError('not_found', `No event with id "${eventId}".`);
    res.json(await deps.dryRun(workflow, event));
  });
  v1.get('/runs', guard, (req, res) => {
    const data = runs.list({ workflow: optionalString(req, 'workflow'), ...listQuery(req) });
    res.json({ object: 'list', data: data.map(runSummary), has_more: data.length === listQuery(req).limit });
  });
  v1.get('/runs/:id', guard, (req, res) => {
    res.json(runView(runWithId(req)));
  });
  v1.post('/runs/:id/cancel', guard, async (req, res) => {
    const run = runWithId(req);
    // The run may execute on another instance: it is asked to cancel, and this answers once the row shows it.
    const result = await takeover.cancel(run.id);
    if (result.kind === 'finished')
      throw new RelayError('run_finished', `Run "${run.id}" has already finished (${runs.get(run.id)?.status ?? run.status}).`);
    if (result.kind === 'unreachable')
      throw new RelayError(
        'run_unreachable',
        `The instance executing run "${run.id}" did not cancel it within ${Math.round(result.waitedMs / 1000)} s; try again.`,
      );
    res.json(runView(result.run));
  });
  v1.post('/runs/:id/rerun', guard, async (req, res) => {
    // Another instance may have finished it a moment ago: decide on the row as stored now.
    await runs.refresh([String(req.params.id)]);
    const run = runWithId(req);
    if (!FINISHED.has(run.status))
      throw new RelayError('run_not_finished', `Run "${run.id}" is still ${run.status}; cancel it first.`);
    const workflow = registry.get(run.workflow);
    if (!workflow) throw new RelayError('workflow_not_found', `Workflow "${run.workflow}" is no longer loaded.`);
    const event = run.trigger_event_id ? await ctx.storage.events.get(run.trigger_event_id) : undefined;
    if (run.trigger_event_id && !event)
      throw new RelayError('not_found', `The trigger event "${run.trigger_event_id}" is no longer stored.`);
    const started = await engine.start(workflow, {
      event,
      inline: event ? undefined : run.event,
      rerunOf: run.id,
      chainDepth: run.chain_depth,
      // A child run's re-run sees the same input (and is no one's child); a scheduled one keeps its tick.
      input: run.input,
      scheduledAt: run.scheduled_at,
    });
    res.status(201).json(runView(started));
  });
}

import type { Request } from 'express';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { AI_QUOTA } from '../ai/quota.ts';
import { FILES, type FilesService } from '../../plugins/sdk.ts';
import { principalOf } from '../http/auth.ts';
import type { HttpMount } from '../http/mount.ts';
import { limitParam, optionalString } from '../http/query.ts';
import { isAdmin, owns, type Principal } from '../principals.ts';
import type { BatchClaims } from './batch-claims.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchRunner } from './runner.ts';
import { type BatchEndpoint, type BatchRecord, batchView as view, TERMINAL } from './types.ts';

const ENDPOINTS: ReadonlySet<string> = new Set(['/v1/responses', '/v1/chat/completions', '/v1/embeddings']);
const DAY = 24 * 3600;

export interface BatchRouteDeps {
  ctx: RelayContext;
  store: BatchStore;
  /** The runner and its claims, once start() made them; null while no AI queue runs. */
  running(): { runner: BatchRunner; claims: BatchClaims } | null;
}

/** POST /v1/batches, GET /v1/batches, GET /v1/batches/:id, POST /v1/batches/:id/cancel (OpenAI's shapes). */
export function batchRoutes({ v1, auth }: HttpMount, deps: BatchRouteDeps): void {
  const { ctx, store } = deps;
  /** The batch, read from the store when this instance has not seen it yet (created elsewhere a moment ago). */
  async function found(id: string, principal: Principal): Promise<BatchRecord> {
    if (!store.get(id)) await store.refresh(id);
    const batch = store.get(id);
    // Another key's batch answers as if it did not exist.
    if (!batch || !owns(principal, batch.owner)) throw new RelayError('not_found', `No batch with id "${id}".`);
    return batch;
  }

  async function create(req: Request, files: FilesService, principal: Principal): Promise<BatchRecord> {
    const { input_file_id, endpoint, completion_window, metadata } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof input_file_id !== 'string')
      throw new RelayError('invalid_request', '"input_file_id" is required.', { param: 'input_file_id' });
    const input = await files.find(input_file_id);
    if (!input || !owns(principal, input.owner))
      throw new RelayError('not_found', `No file with id "${input_file_id}".`, { param: 'input_file_id' });
    if (input.purpose !== 'batch')
      throw new RelayError('invalid_request', `File ${input_file_id} was not uploaded with purpose "batch".`, {
        param: 'input_file_id',
      });
    if (typeof endpoint !== 'string' || !ENDPOINTS.has(endpoint)) {
      throw new RelayError('invalid_request', '"endpoint" must be "/v1/responses", "/v1/chat/completions" or "/v1/embeddings".', {
        param: 'endpoint',
      });
    }
    if (completion_window !== '24h')
      throw new RelayError('invalid_request', '"completion_window" must be "24h".', { param: 'completion_window' });
    const now = Math.floor(ctx.clock.now() / 1000);
    return {
      id: ctx.newId('batch'),
      object: 'batch',
      endpoint: endpoint as BatchEndpoint,
      input_file_id,
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: now,
      in_progress_at: null,
      expires_at: now + DAY,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: 0, completed: 0, failed: 0 },
      errors: null,
      metadata: checkMetadata(metadata),
      owner: principal.keyId,
      model: null,
      usage: null,
    };
  }

  v1.post('/batches', auth.require('ai'), async (req, res) => {
    const files = ctx.services.get(FILES);
    const running = deps.running();
    if (!running || !files) throw new RelayError('ai_unavailable', 'Batches need the AI queue, which is not running.');
    ctx.services.get(AI_QUOTA)?.check(principalOf(res));
    const batch = await create(req, files, principalOf(res));
    // Claimed before its row exists: it runs here, and no other instance takes it for an orphan.
    await running.claims.claimNew(batch.id);
    await store.save(batch);
    running.runner.start(batch.id);
    res.json(view(batch));
  });
  v1.get('/batches', auth.require('ai'), (req, res) => {
    const principal = principalOf(res);
    const owner = isAdmin(principal) ? undefined : principal.keyId;
    const page = store.list({ after: optionalString(req, 'after'), limit: limitParam(req, 20, 100), owner });
    const data = page.data.map(view);
    res.json({
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: page.has_more,
    });
  });
  v1.get('/batches/:id', auth.require('ai'), async (req, res) => {
    res.json(view(await found(String(req.params.id), principalOf(res))));
  });
  v1.post('/batches/:id/cancel', auth.require('ai'), async (req, res) => {
    const batch = await found(String(req.params.id), principalOf(res));
    if (batch.status === 'cancelling' || batch.status === 'cancelled') return void res.json(view(batch));
    const claims = deps.running()?.claims;
    if (TERMINAL.has(batch.status) || batch.status === 'finalizing' || !claims) {
      throw new RelayError(
        'batch_not_cancellable',
        `Batch ${batch.id} is ${batch.status} and can no longer be cancelled.`,
      ).notRetryable();
    }
    res.json(view(await claims.cancel(batch.id)));
  });
}

function checkMetadata(metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw new RelayError('invalid_request', '"metadata" must be an object.');
  const entries = Object.entries(metadata);
  const ok = entries.length <= 16 && entries.every(([k, v]) => k.length <= 64 && typeof v === 'string' && v.length <= 512);
  if (!ok)
    throw new RelayError('invalid_request', '"metadata" holds at most 16 string values (keys ≤ 64, values ≤ 512 characters).');
  return metadata as Record<string, string>;
}

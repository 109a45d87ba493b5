import { pipeline } from 'node:stream/promises';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import type { HttpMount } from '../http/mount.ts';
import { limitParam, optionalString } from '../http/query.ts';
import { isAdmin, owns, type Principal } from '../principals.ts';
import type { BlobStore } from './blob-store.ts';
import { type FileRecord, type FileStore, fileView } from './file-store.ts';
import { receiveUpload } from './multipart.ts';

export interface FileRouteDeps {
  ctx: RelayContext;
  store: FileStore;
  blobs: BlobStore;
  maxFileBytes: number;
}

/**
 * POST /v1/files (multipart, purpose "batch"), GET /v1/files, GET /v1/files/:id,
 * GET /v1/files/:id/content, DELETE /v1/files/:id (OpenAI's shapes).
 */
export function fileRoutes({ v1, auth }: HttpMount, deps: FileRouteDeps): void {
  const { ctx, store, blobs, maxFileBytes } = deps;
  async function found(id: string, principal: Principal): Promise<FileRecord> {
    const file = await store.find(id);
    // Another key's file answers as if it did not exist.
    if (!file || !owns(principal, file.owner)) throw new RelayError('not_found', `No file with id "${id}".`);
    return file;
  }

  v1.post('/files', auth.require('ai'), async (req, res) => {
    const id = ctx.newId('file');
    const upload = await receiveUpload(req, blobs, id, maxFileBytes);
    if (upload.fields.purpose !== 'batch') {
      await blobs.remove(id);
      throw new RelayError('invalid_request', `"purpose" must be "batch" (got "${upload.fields.purpose ?? ''}").`);
    }
    const file: FileRecord = {
      id,
      object: 'file',
      bytes: upload.bytes,
      created_at: Math.floor(ctx.clock.now() / 1000),
      filename: upload.filename,
      purpose: 'batch',
      status: 'processed',
      expires_at: null,
      owner: principalOf(res).keyId,
    };
    await store.save(file);
    res.json(fileView(file));
  });
  v1.get('/files', auth.require('ai'), (req, res) => {
    const principal = principalOf(res);
    const page = store.list({
      purpose: optionalString(req, 'purpose'),
      after: optionalString(req, 'after'),
      limit: limitParam(req, 100, 10_000),
      owner: isAdmin(principal) ? undefined : principal.keyId,
    });
    res.json({
      object: 'list',
      ...page,
      data: page.data.map(fileView),
      first_id: page.data[0]?.id ?? null,
      last_id: page.data.at(-1)?.id ?? null,
    });
  });
  v1.get('/files/:id', auth.require('ai'), async (req, res) => {
    res.json(fileView(await found(String(req.params.id), principalOf(res))));
  });
  v1.get('/files/:id/content', auth.require('ai'), async (req, res, next) => {
    const file = await found(String(req.params.id), principalOf(res));
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', String(file.bytes));
    res.attachment(file.filename);
    // pipeline: a failed read answers through the error handler (or cuts the response once it has
    // started), and a client that hangs up closes the file instead of leaving it open.
    pipeline(blobs.read(file.id), res).catch((error: unknown) => {
      if (!res.headersSent) next(error);
    });
  });
  v1.delete('/files/:id', auth.require('ai'), async (req, res) => {
    const file = await found(String(req.params.id), principalOf(res));
    await store.remove(file.id);
    await blobs.remove(file.id);
    res.json({ id: file.id, object: 'file', deleted: true });
  });
}

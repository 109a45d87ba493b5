import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { batchSettings } from '../batches/settings.ts';
import { type FileRecord, tableFileStore } from './file-store.ts';
import { FILES } from '../../plugins/sdk.ts';
import { createFilesService } from './files-service.ts';
import { fileRoutes } from './routes.ts';

/**
 * The OpenAI Files subset batches need: POST /v1/files (multipart, purpose "batch"), GET /v1/files,
 * GET /v1/files/:id, GET /v1/files/:id/content, DELETE /v1/files/:id. Bytes in the store driver's
 * BlobStore (<data dir>/files, or PostgreSQL's relay_blobs), metadata in the `files` table.
 */
export function filesApi(ctx: RelayContext): Subsystem {
  const { maxFileBytes } = batchSettings(ctx.config.sections);
  const store = tableFileStore(ctx.storage.tables.table<FileRecord>('files', 'large'));
  // On disk in the data dir, in memory, or in PostgreSQL: whichever the store driver keeps.
  const blobs = ctx.storage.blobs;
  const service = createFilesService(store, blobs, ctx.newId, () => ctx.clock.now());
  ctx.services.provide(FILES, service);

  return {
    name: 'files-api',
    routes(http) {
      fileRoutes(http, { ctx, store, blobs, maxFileBytes });
    },
    start: () => store.open(),
    stop: () => store.close(),
  };
}

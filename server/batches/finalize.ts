import type { FilesService } from '../../plugins/sdk.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchRecord, OutputLine, RequestLine } from './types.ts';

export type EndStatus = 'completed' | 'cancelled' | 'expired';

/**
 * Writes the output file (successful lines) and the error file (failed lines, and on cancel or expiry
 * one `batch_cancelled` / `batch_expired` line per request that never ran), in input order, then marks
 * the batch `files_written` so a restart during finalizing does not write them twice.
 */
export async function writeResultFiles(
  store: BatchStore,
  files: FilesService,
  batch: BatchRecord,
  lines: RequestLine[],
  end: EndStatus,
  newId: (prefix: string) => string,
): Promise<BatchRecord> {
  const results = store.results(batch.id);
  const outputs = results.filter((r) => r.outcome === 'completed').map((r) => r.output);
  const errors = results.filter((r) => r.outcome === 'failed').map((r) => r.output);
  if (end !== 'completed') {
    const ran = new Set(results.map((r) => r.line));
    const code = end === 'cancelled' ? 'batch_cancelled' : 'batch_expired';
    const message =
      end === 'cancelled' ? 'The batch was cancelled before this request ran.' : 'The batch expired before this request ran.';
    for (const request of lines.filter((l) => !ran.has(l.line))) {
      errors.push({ id: newId('batch_req'), custom_id: request.custom_id, response: null, error: { code, message } });
    }
  }
  const write = async (kind: string, list: OutputLine[]) =>
    list.length === 0
      ? null
      : (
          await files.create({
            filename: `${batch.id}_${kind}.jsonl`,
            purpose: 'batch_output',
            owner: batch.owner ?? null,
            bytes: Buffer.from(`${list.map((l) => JSON.stringify(l)).join('\n')}\n`),
          })
        ).id;
  const output_file_id = await write('output', outputs);
  const error_file_id = await write('error', errors);
  const latest = store.get(batch.id) ?? batch;
  const updated: BatchRecord = { ...latest, output_file_id, error_file_id, files_written: true };
  await store.save(updated);
  return updated;
}

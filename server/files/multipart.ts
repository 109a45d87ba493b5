import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { HttpError } from '../errors.ts';
import type { BlobStore } from './blob-store.ts';

export interface Upload {
  filename: string;
  bytes: number;
  fields: Record<string, string>;
}

/**
 * Streams the one `file` part of a multipart/form-data request straight into the blob store under
 * `blobId` (never whole in memory). Past `maxBytes` busboy discards the rest and the upload fails with
 * 413; on any failure the partial blob is removed.
 */
export function receiveUpload(req: IncomingMessage, blobs: BlobStore, blobId: string, maxBytes: number): Promise<Upload> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    throw new HttpError(
      'unsupported_media_type',
      'Upload files as multipart/form-data with a "file" part and a "purpose" field.',
    );
  }
  return new Promise<Upload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let writing: Promise<{ filename: string; bytes: number }> | null = null;
    let failure: Error | null = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      const settle = async () => {
        const written = await writing?.catch((error: Error) => {
          throw failure ?? error;
        });
        if (failure) throw failure;
        if (!written) throw new HttpError('invalid_request', 'The upload has no "file" part.');
        return { ...written, fields };
      };
      settle().then(resolve, async (error: Error) => {
        await blobs.remove(blobId).catch(() => {});
        reject(error);
      });
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4096 } });
    } catch (error) {
      throw new HttpError('bad_request', `The multipart body could not be read: ${(error as Error).message}`);
    }
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || writing) {
        stream.resume();
        return;
      }
      stream.on('limit', () => {
        failure ??= new HttpError('payload_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
      });
      writing = blobs.write(blobId, stream).then((bytes) => ({ filename: info.filename || 'upload.jsonl', bytes }));
      writing.catch(() => {});
    });
    parser.on('error', (error: Error) => {
      failure ??= new HttpError('bad_request', `The multipart body could not be read: ${error.message}`);
      req.unpipe(parser);
      req.resume();
      finish();
    });
    parser.on('close', finish);
    req.on('aborted', () => {
      failure ??= new HttpError('bad_request', 'The client closed the request before the upload finished.');
      finish();
    });
    req.pipe(parser);
  });
}

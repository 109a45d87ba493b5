import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { RelayError } from '../errors.ts';
import type { BlobStore } from './blob-store.ts';

export interface Upload {
  filename: string;
  bytes: number;
  fields: Record<string, string>;
}

const unreadable = (why: string) => new RelayError('bad_request', `The multipart body could not be read: ${why}`);

/**
 * Streams the one `file` part of a multipart/form-data request straight into the blob store under
 * `blobId` (never whole in memory). Past `maxBytes` busboy discards the rest and the upload fails with
 * 413; on any failure (a truncated body, a client that hangs up) the partial blob is removed.
 *
 * Every stream here has an `error` listener from the moment it exists: busboy fails a file stream
 * ("Unexpected end of form") before the blob store may have started reading it, and an unheard
 * `error` event ends the process (issue 14).
 */
export function receiveUpload(req: IncomingMessage, blobs: BlobStore, blobId: string, maxBytes: number): Promise<Upload> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    throw new RelayError(
      'unsupported_media_type',
      'Upload files as multipart/form-data with a "file" part and a "purpose" field.',
    );
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4096 } });
  } catch (error) {
    throw unreadable((error as Error).message);
  }
  return new Promise<Upload>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let writing: Promise<{ filename: string; bytes: number }> | null = null;
    let file: Readable | null = null;
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
        if (!written) throw new RelayError('invalid_request', 'The upload has no "file" part.');
        return { ...written, fields };
      };
      settle().then(resolve, async (error: Error) => {
        await blobs.remove(blobId).catch(() => {});
        reject(error);
      });
    };
    /** Stops the upload: the file stream fails too, so the blob store stops writing and drops its partial file. */
    const fail = (error: RelayError) => {
      failure ??= error;
      if (file && !file.destroyed) file.destroy(failure);
      req.unpipe(parser);
      req.resume();
      finish();
    };
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      // Busboy reports a broken body on the parser as well; this listener only keeps the process alive.
      stream.on('error', () => {});
      if (name !== 'file' || writing) {
        stream.resume();
        return;
      }
      file = stream;
      stream.on('limit', () => {
        failure ??= new RelayError('payload_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
      });
      writing = blobs.write(blobId, stream).then((bytes) => ({ filename: info.filename || 'upload.jsonl', bytes }));
      writing.catch(() => {});
    });
    parser.on('error', (error: Error) => fail(unreadable(error.message)));
    parser.on('close', finish);
    req.on('close', () => {
      if (!req.complete) fail(new RelayError('bad_request', 'The client closed the request before the upload finished.'));
    });
    req.pipe(parser);
  });
}

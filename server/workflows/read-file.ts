import { open } from 'node:fs/promises';

export type WorkflowText = { text: string } | { tooBig: number } | null;

/**
 * A workflow file's text, read only when it is at most `maxBytes` long (a file that grows while it is
 * read is caught too): a 40 MB file once took the relay down while it was parsed. null: not there.
 */
export async function readWorkflowText(path: string, maxBytes: number): Promise<WorkflowText> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (!handle) return null;
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { tooBig: size };
    const bytes = Buffer.allocUnsafe(maxBytes + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) return { tooBig: (await handle.stat()).size };
    }
    return { text: bytes.toString('utf8', 0, filled) };
  } finally {
    await handle.close();
  }
}

export function tooBigMessage(bytes: number, maxBytes: number): string {
  return `the file is ${bytes} bytes, more than workflows.maxFileBytes (${maxBytes}): it is not read`;
}

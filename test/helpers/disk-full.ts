import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';

function enospc(syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall}`), { code: 'ENOSPC', errno: -28, syscall });
}

/**
 * Makes this process's file writes fail as they do on a full disk (ENOSPC): writes through file
 * handles (appends, temporary files) and fs.promises.writeFile. Reads, renames and truncates still
 * work, as they do on a full disk. Returns the function that frees the disk again.
 */
export async function fillDisk(): Promise<() => void> {
  const probe = await open(tmpdir(), 'r');
  const handleProto = Object.getPrototypeOf(probe) as { write: unknown; writeFile: unknown };
  await probe.close();
  const saved = { write: handleProto.write, writeFile: handleProto.writeFile, promisesWriteFile: fs.promises.writeFile };
  handleProto.write = async () => {
    throw enospc('write');
  };
  handleProto.writeFile = async () => {
    throw enospc('write');
  };
  // As on a real full disk, the file is created (an inode, no data blocks), then the write fails.
  fs.promises.writeFile = (async (file: Parameters<typeof fs.promises.writeFile>[0], _data: unknown, options?: unknown) => {
    if (typeof file === 'string' || file instanceof URL || Buffer.isBuffer(file)) {
      const { flag = 'w', mode = 0o666 } = (typeof options === 'object' && options ? options : {}) as {
        flag?: string;
        mode?: number;
      };
      await (await open(file, flag, mode)).close();
    }
    throw enospc('write');
  }) as typeof fs.promises.writeFile;
  syncBuiltinESMExports();
  let freed = false;
  return () => {
    if (freed) return;
    freed = true;
    handleProto.write = saved.write;
    handleProto.writeFile = saved.writeFile;
    fs.promises.writeFile = saved.promisesWriteFile;
    syncBuiltinESMExports();
  };
}

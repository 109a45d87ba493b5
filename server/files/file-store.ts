import type { StoredFile } from '../../plugins/sdk.ts';
import type { Table } from '../store/table.ts';

/** OpenAI's File object, with its owner (declared in the SDK: the `files` service hands these out). */
export type FileRecord = StoredFile;

/** The File object as OpenAI shows it (without the owner). */
export const fileView = ({ owner: _owner, ...file }: FileRecord): FileRecord => file;

/** File metadata; the bytes live in a BlobStore. A PostgreSQL implementation can replace this later. */
export interface FileStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): FileRecord | undefined;
  /** Newest first, after the `after` cursor (an id), at most `limit`. */
  /** `owner` given: only that key's files. */
  list(query: { purpose?: string; after?: string; limit: number; owner?: string | null }): {
    data: FileRecord[];
    has_more: boolean;
  };
  save(file: FileRecord): Promise<void>;
  remove(id: string): Promise<boolean>;
  /**
   * The file, read from the store when this instance has not seen it yet (uploaded on another
   * instance a moment ago: a client may use the id at once wherever its next request lands).
   */
  find(id: string): Promise<FileRecord | undefined>;
}

export function tableFileStore(table: Table<FileRecord>): FileStore {
  return {
    open: () => table.open(),
    close: () => table.close(),
    get: (id) => table.get(id),
    list({ purpose, after, limit, owner }) {
      const newestFirst = [...table.values()]
        .filter((f) => (!purpose || f.purpose === purpose) && (owner === undefined || (f.owner ?? null) === owner))
        .reverse();
      const start = after ? newestFirst.findIndex((f) => f.id === after) + 1 : 0;
      const data = newestFirst.slice(start, start + limit);
      return { data, has_more: start + limit < newestFirst.length };
    },
    save: (file) => table.put(file),
    remove: (id) => table.delete(id),
    async find(id) {
      if (!table.get(id)) await table.refresh([id]);
      return table.get(id);
    },
  };
}

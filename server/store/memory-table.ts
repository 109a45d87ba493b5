import type { Row, Table, TableFactory } from './table.ts';

export class MemoryTable<T extends Row> implements Table<T> {
  protected rows = new Map<string, T>();
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  get(id: string): T | undefined {
    return this.rows.get(id);
  }
  values(): IterableIterator<T> {
    return this.rows.values();
  }
  get size(): number {
    return this.rows.size;
  }
  async put(row: T): Promise<void> {
    this.rows.set(row.id, row);
  }
  async putMany(rows: readonly T[]): Promise<void> {
    for (const row of rows) this.rows.set(row.id, row);
  }
  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }
  async insertNew(rows: readonly T[]): Promise<T[]> {
    const seen = new Set<string>();
    const fresh = rows.filter((row) => !this.rows.has(row.id) && !seen.has(row.id) && seen.add(row.id));
    if (fresh.length > 0) await this.putMany(fresh);
    return fresh;
  }
  async refresh(): Promise<void> {}
  onChange(): () => void {
    return () => {};
  }
}

export const memoryTables: TableFactory = {
  table: <T extends Row>(name: string) => new MemoryTable<T>(name),
};

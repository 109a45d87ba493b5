import type { ParseArgsOptionsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  /** One line naming every flag in `options` (a test holds the two, and README's table, together). */
  usage: string;
  /** The flags it takes, as node:util parseArgs reads them. */
  options: ParseArgsOptionsConfig;
  /** Resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

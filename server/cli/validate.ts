import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { createVerifier } from '../ingest/verifiers/index.ts';
import { validateWorkflowFile } from '../workflows/validate-file.ts';
import type { Command } from './command.ts';

/** Validators for other kinds of file (workflows) register here by file shape. */
export type FileValidator = (file: string) => Promise<string[] | null>;
export const fileValidators: FileValidator[] = [validateWorkflowFile];

async function validateConfigFile(file: string): Promise<string[]> {
  try {
    const config = loadConfig({ flags: { config: file } });
    for (const [i, source] of config.sources.entries()) createVerifier(source, i);
    return [];
  } catch (error) {
    // Every problem the file has, one `file:line:col: ...` line each.
    return (error instanceof Error ? error.message : String(error)).split('\n');
  }
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check config and workflow files; prints file:line:col: message and exits 1 on any problem',
  usage: 'hookrelay validate FILE...',
  options: {},
  async run(argv) {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true });
    if (positionals.length === 0) {
      console.error('usage: hookrelay validate FILE...');
      return 2;
    }
    let problems = 0;
    for (const file of positionals) {
      let found: string[] | null = null;
      for (const validator of fileValidators) {
        found = await validator(file);
        if (found) break;
      }
      found ??= await validateConfigFile(file);
      for (const line of found) console.log(line);
      problems += found.length;
      if (found.length === 0) console.log(`${file}: ok`);
    }
    return problems > 0 ? 1 : 0;
  },
};

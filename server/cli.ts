import type { Command } from './cli/command.ts';
import { initCommand } from './cli/init.ts';
import { listenCommand } from './cli/listen.ts';
import { sendCommand } from './cli/send.ts';
import { startCommand } from './cli/start.ts';
import { tailCommand } from './cli/tail.ts';
import { validateCommand } from './cli/validate.ts';

/** Commands in the order `hookrelay --help` lists them. */
export const commands: Command[] = [initCommand, startCommand, validateCommand, sendCommand, tailCommand, listenCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'hookrelay: a self-hosted webhook relay and workflow engine',
    '',
    'usage: hookrelay <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    ...commands.map((c) => `  ${c.usage}`),
    '',
    'Flags win over environment (PORT, HOST, HOOKRELAY_DATA_DIR, HOOKRELAY_CONFIG, HOOKRELAY_ADMIN_TOKEN),',
    'which win over the config file. See README.md.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`hookrelay: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help')) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    console.error(`hookrelay ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** Runs one command line; bin/hookrelay.js calls this (importing this module runs nothing). */
export async function runCli(argv: string[]): Promise<void> {
  const exitCode = await main(argv);
  // `start` returns after a drained stop: exit now rather than wait on handles a library may keep.
  if (argv[0] === 'start') process.exit(exitCode);
  process.exitCode = exitCode;
}

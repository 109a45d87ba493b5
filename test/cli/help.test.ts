import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commands } from '../../server/cli.ts';
import { runCli } from '../helpers/cli.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The first cell of every row of README's "Command line" table, as written (`\|` unescaped). */
async function readmeCommands(): Promise<string[]> {
  const section = (await readFile(README, 'utf8')).split(/^## /m).find((s) => s.startsWith('Command line'));
  assert.ok(section, 'README has a "## Command line" section');
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `hookrelay '))
    .map((line) => (/^\| `(.+?)` +\|/.exec(line.replaceAll('\\|', '|'))?.[1] ?? '').trim());
}

describe('hookrelay --help', () => {
  it('names every flag each command takes in its usage line', () => {
    for (const command of commands) {
      for (const flag of Object.keys(command.options)) {
        assert.ok(command.usage.includes(`--${flag}`), `hookrelay ${command.name}: --${flag} missing from "${command.usage}"`);
      }
      const named = [...command.usage.matchAll(/--([a-z-]+)/g)].map((m) => m[1]);
      for (const flag of named)
        assert.ok(flag in command.options, `hookrelay ${command.name} shows --${flag}, which it does not take`);
    }
  });

  it("prints each command's usage with <command> --help, exactly as README's command table has it", async () => {
    const documented = await readmeCommands();
    assert.deepEqual(
      documented,
      commands.map((c) => c.usage),
    );
    for (const command of commands) {
      const { code, stdout } = await runCli([command.name, '--help']);
      assert.equal(code, 0);
      assert.equal(stdout.split('\n')[0], `usage: ${command.usage}`);
    }
  });

  it('lists every command and its usage in the overall --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    assert.equal(code, 0);
    for (const command of commands) {
      assert.match(stdout, new RegExp(`^  ${command.name} +${command.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      assert.ok(stdout.includes(`  ${command.usage}\n`), `overall help shows ${command.usage}`);
    }
  });
});

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'hookrelay.js');
const run = promisify(execFile);

interface Step {
  command: string;
  /** The `# …` lines under the command that show its output. */
  expected: string[];
}

/** The README's "Five-minute walkthrough" as its ```sh blocks of commands with their shown output. */
async function walkthrough(): Promise<Step[][]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Five-minute walkthrough')) ?? '';
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, block]) => {
    const steps: Step[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('# ')) steps.at(-1)?.expected.push(line.slice(2));
      else if (line.trim()) steps.push({ command: line, expected: [] });
    }
    return steps;
  });
}

/**
 * A shown output line as a pattern: the explanation after two or more spaces is dropped, `…` and `...`
 * stand for anything, and the README's port 8080 is the port the relay got.
 */
function shownAs(expected: string, port: number): RegExp {
  const shown = expected.split(/ {2,}/)[0].trim();
  const escaped = shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = escaped
    .replaceAll('…', '.*')
    .replaceAll('\\.\\.\\.', '.*')
    .replaceAll('127\\.0\\.0\\.1:8080', `127\\.0\\.0\\.1:${port}`);
  return new RegExp(`^${pattern}$`, 'm');
}

describe("README's five-minute walkthrough, run as written on a fresh folder", () => {
  let dir: string;
  let relay: ReturnType<typeof spawn> | null = null;
  const logs: string[] = [];
  let port = 0;
  let terminals: Step[][] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-walkthrough-'));
    terminals = await walkthrough();
  });
  after(async () => {
    if (relay && relay.exitCode === null) {
      relay.kill('SIGTERM');
      await new Promise((resolve) => relay?.once('exit', resolve));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('has two terminals: set-up and start, then the commands that use the relay', () => {
    assert.equal(terminals.length, 2);
    assert.deepEqual(
      terminals[0].map((s) => s.command),
      ['npm install', 'npx hookrelay init', 'npm start'],
    );
  });

  it('starts a relay from `hookrelay init` and logs what the README shows', async () => {
    const [, init, start] = terminals[0];
    const { stdout } = await run(process.execPath, [BIN, 'init'], { cwd: dir });
    for (const line of init.expected) assert.match(stdout, shownAs(line, 0), line);
    // `npm start` is `hookrelay start`; port 0 here, so the test never collides with another relay.
    relay = spawn(process.execPath, [BIN, 'start', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, HOOKRELAY_ADMIN_TOKEN: '', PORT: '', HOOKRELAY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: relay.stdout as NodeJS.ReadableStream }).on('line', (l) => logs.push(l));
    const exited = new Promise((resolve) => relay?.once('exit', resolve));
    // Starting a child relay is slow on a loaded machine: wait for the state, with room to spare.
    const listening = await Promise.race([
      waitFor('the relay to listen', () => logs.find((l) => l.includes('hookrelay is listening')), 90_000),
      exited.then(() => assert.fail(`the relay exited before listening:\n${logs.join('\n')}`)),
    ]);
    port = Number(/127\.0\.0\.1:(\d+)/.exec(listening)?.[1]);
    for (const line of start.expected) assert.match(logs.join('\n'), shownAs(line, port), line);
  });

  it("answers the second terminal's commands as the README shows", async () => {
    const steps = terminals[1];
    // Each command as written (the port being the relay's), then a marker with its exit code.
    const script = [
      'npx() { if [ "$1" = hookrelay ]; then shift; "$HOOKRELAY_NODE" "$HOOKRELAY_BIN" "$@"; else command npx "$@"; fi; }',
      ...steps.flatMap((s) => [s.command.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`), `printf '\\n@@step %s\\n' "$?"`]),
    ].join('\n');
    const { stdout } = await run('bash', ['-c', script], {
      cwd: dir,
      env: {
        ...process.env,
        HOOKRELAY_ADMIN_TOKEN: '',
        PORT: String(port),
        HOOKRELAY_NODE: process.execPath,
        HOOKRELAY_BIN: BIN,
      },
    });
    const outputs = stdout.split(/\n@@step \d+\n/).slice(0, steps.length);
    assert.equal(outputs.length, steps.length);
    let checked = 0;
    steps.forEach((step, i) => {
      for (const line of step.expected) {
        assert.match(outputs[i], shownAs(line, port), `${step.command}\nshows: ${line}\ngot: ${outputs[i]}`);
        checked++;
      }
    });
    assert.ok(checked >= 5, `${checked} outputs checked`);
  });

  it("leaves a clone's git status clean: the walkthrough's files are ignored", async () => {
    const files = ['hookrelay.yaml', 'workflows/demo-log.yaml', 'payload.json', 'data/admin-token'];
    const { stdout } = await run('git', ['-C', ROOT, 'check-ignore', ...files]);
    assert.deepEqual(stdout.trim().split('\n'), files);
  });
});

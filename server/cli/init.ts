import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSecret } from '../sources/secrets.ts';
import type { Command } from './command.ts';

const USAGE = 'hookrelay init [--dir DIR] [--force]';
const OPTIONS = { dir: { type: 'string' }, force: { type: 'boolean', default: false } } as const;

function configYaml(secret: string): string {
  return `# hookrelay config, written by \`hookrelay init\`. Every key: README.md, "Configuration reference".
# \`npx hookrelay start\` reads ./hookrelay.yaml; \`npx hookrelay validate hookrelay.yaml\` checks it.

port: 8080
host: 127.0.0.1 # 0.0.0.0 accepts webhooks from other machines too
dataDir: ./data # events, the admin token (data/admin-token) and other state; git ignores it

sources:
  # Webhooks for this source go to POST http://127.0.0.1:8080/hooks/demo, signed as Standard Webhooks
  # with this secret (generated for this file). Before sharing this file, move the secret into an
  # environment variable: secrets: ["\${DEMO_WEBHOOK_SECRET}"]. More sources: POST /v1/sources, the
  # console's Sources page, or more entries here (schemes: README.md, "Verification schemes").
  - name: demo
    verify:
      scheme: standard-webhooks
      secrets: ["${secret}"]

workflows:
  dir: ./workflows # every .yaml file in it is a workflow, reloaded when it changes
`;
}

const WORKFLOW = `# Runs for every event of the demo source and logs its type. Edit and save: the relay reloads it.
# Steps and expressions: docs/workflows.md.
name: demo-log
on:
  source: demo
steps:
  - id: say
    uses: log
    with:
      message: "{{ 'demo event: ' & event.type }}"
`;

/** Kept out of git: the data dir (events, the admin token) and the walkthrough's scratch payload. */
const IGNORED = ['data/', 'payload.json', '*.local.yaml'];

/** `/data/`, `data/` and `data/*` ignore the same files here. */
const pattern = (line: string) => line.trim().replace(/^\//, '').replace(/\*$/, '');

async function addToGitignore(file: string): Promise<string[]> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  const present = new Set(text.split(/\r?\n/).map(pattern));
  const missing = IGNORED.filter((entry) => !present.has(pattern(entry)));
  if (missing.length > 0) {
    const head = text && !text.endsWith('\n') ? '\n' : '';
    await writeFile(file, `${text}${head}# hookrelay\n${missing.join('\n')}\n`);
  }
  return missing;
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write a commented hookrelay.yaml with a demo source and fresh secret, an example workflow and .gitignore entries',
  usage: USAGE,
  options: OPTIONS,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { dir: { type: 'string' }, force: { type: 'boolean', default: false } },
    });
    const dir = resolve(values.dir ?? '.');
    const files = { config: join(dir, 'hookrelay.yaml'), workflow: join(dir, 'workflows', 'demo-log.yaml') };
    const existing = Object.values(files).filter((f) => existsSync(f));
    if (existing.length > 0 && !values.force) {
      console.error(`hookrelay init: ${existing.join(' and ')} already exist(s); nothing was written (--force overwrites)`);
      return 1;
    }
    await mkdir(join(dir, 'workflows'), { recursive: true });
    await writeFile(files.config, configYaml(generateSecret()));
    await writeFile(files.workflow, WORKFLOW);
    const ignored = await addToGitignore(join(dir, '.gitignore'));
    console.log(`wrote ${files.config}`);
    console.log(`wrote ${files.workflow}`);
    if (ignored.length > 0) console.log(`added ${ignored.join(', ')} to ${join(dir, '.gitignore')}`);
    console.log(`
Next, in this folder:
  npx hookrelay start                                                      # terminal 1: the relay on http://127.0.0.1:8080
  npx hookrelay send --source demo --data '{"type":"demo.hello","n":1}'    # terminal 2: a signed test webhook
  npx hookrelay tail                                                       # follow events (or open http://127.0.0.1:8080/)`);
    return 0;
  },
};

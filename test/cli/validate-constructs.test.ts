import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';

describe('hookrelay validate on foreach, schedules and secrets', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-validate-constructs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints file:line:col per problem with the config it finds, and exits 1', async () => {
    await writeFile(join(dir, 'hookrelay.yaml'), 'workflows:\n  secrets: [API_TOKEN]\n');
    const file = join(dir, 'flow.yaml');
    await writeFile(
      file,
      [
        'name: flow',
        'on: { schedule: { cron: "* * * *", timezone: Europe/Paris } }',
        'steps:',
        '  - id: call',
        '    uses: http.request',
        '    concurrency: 3',
        '    with: { url: "https://x/{{ secrets.OTHER }}", headers: { a: "{{ secrets.API_TOKEN }}" } }',
        '',
      ].join('\n'),
    );
    const { code, stdout, stderr } = await runCli(['validate', file], { cwd: dir });
    assert.equal(code, 1, stdout + stderr);
    const lines = (stdout + stderr).split('\n').filter((l) => l.startsWith(file));
    assert.deepEqual(
      lines.map((l) => l.slice(file.length)),
      [
        ':2:26: bad cron "* * * *": invalid configuration format (\'* * * *\'), exactly five, six, or seven space separated parts are required.',
        ':6:18: concurrency applies to foreach: add foreach to the step or remove concurrency',
        ':7:19: secrets.OTHER is not allowed: list it under workflows.secrets in the config',
      ],
    );
  });
});

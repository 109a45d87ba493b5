import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { api } from './helpers.ts';
import { workflowDir } from './workflow-dir.ts';

const FILES = {
  'gate.yaml': `name: gate
steps:
  - id: hold
    uses: wait.event
    with: { source: manual, type: open, timeout: 1h }
  - id: shape
    uses: transform
    with: { value: { opened_by: "{{ steps.hold.output.id }}" } }
`,
  'broken.yaml': `name: broken
steps:
  - id: a
    uses: no.such.step
`,
};

describe('console: workflows page', () => {
  let relay: TestRelay;
  let browser: Browser;
  let page: Page;
  before(async () => {
    relay = await startRelay({ sections: { workflows: { dir: await workflowDir(FILES), watch: false } } });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage();
    await page.addInitScript((token) => localStorage.setItem('hookrelay.token', token), ADMIN_TOKEN);
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  it('shows validity and errors, a run timeline, run detail, and cancels and re-runs a run', async () => {
    const started = await api<{ id: string }>(relay.url, '/v1/workflows/gate/runs', {
      method: 'POST',
      body: { event: { type: 'go', payload: { n: 1 } } },
      auth: relay.auth,
    });
    await waitFor(
      'the run to wait',
      async () =>
        (await api<{ status: string }>(relay.url, `/v1/runs/${started.body.id}`, { auth: relay.auth })).body.status === 'waiting',
    );
    await page.goto(`${relay.url}/#/workflows`);

    const broken = page.locator('tr[data-file="broken.yaml"]');
    await broken.locator('.workflow-error').waitFor();
    assert.equal(await broken.locator('.workflow-error').textContent(), 'broken.yaml:4:11: unknown step type "no.such.step"');

    await page.locator('tr[data-workflow="gate"] button.link').click();
    const row = page.locator(`tr[data-run="${started.body.id}"]`);
    await row.waitFor();
    assert.equal(await row.locator('.timeline .step.waiting').textContent(), 'hold waiting');

    await row.locator('button.link').click();
    const detail = page.locator(`.run-detail[data-run="${started.body.id}"]`);
    await detail.waitFor();
    assert.match((await detail.locator('pre[aria-label="Trigger event"]').textContent()) ?? '', /"n": 1/);
    await detail.locator('button.cancel').click();
    await detail.locator('h2 .badge[data-status="cancelled"]').waitFor();

    await detail.locator('button.rerun').click();
    const rerun = await waitFor('a re-run', async () => {
      const runs = await api<{ data: Array<{ id: string; rerun_of: string | null }> }>(relay.url, '/v1/workflows/gate/runs', {
        auth: relay.auth,
      });
      return runs.body.data.find((r) => r.rerun_of === started.body.id);
    });
    await page.locator(`.run-detail[data-run="${rerun.id}"]`).waitFor();
    await relay.relay.ctx.eventService.emit({ source: 'manual', type: 'open', payload: {} });
    await page.locator(`.run-detail[data-run="${rerun.id}"] h2 .badge[data-status="succeeded"]`).waitFor();
    const output = await page
      .locator(`.run-detail[data-run="${rerun.id}"] li[data-step="shape"]`)
      .getByLabel('shape output')
      .textContent();
    assert.match(output ?? '', /"opened_by": "evt_/);
  });
});

// Screenshots of the nodes in n8n's editor for docs/n8n.md (docs/n8n-*.png). Not part of the tests:
// `npm run screenshots:n8n` stands up a relay and the pinned n8n with the packed node installed (as
// `npm run test:n8n` does), makes one workflow per node, signs in with Debian's Chromium and opens
// each node's settings panel.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_SOURCES } from '../../../test/delivery/setup.ts';
import { launchBrowser } from '../../../test/helpers/browser.ts';
import { ADMIN_TOKEN, startRelay } from '../../../test/helpers/relay.ts';
import { build, pack } from './build-package.mts';
import { chain, freePort, installN8n, installNode, node, TYPE } from './e2e/setup.mts';
import { N8n, OWNER } from './n8n-process.mts';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

build();
const installDir = installN8n();
const userFolder = await mkdtemp(join(tmpdir(), 'hookrelay-n8n-shots-'));
installNode(userFolder, pack(join(userFolder, 'pack')));
const relay = await startRelay({ sources: TEST_SOURCES });
const port = await freePort();
const n8n = new N8n({ installDir, userFolder, port, brokerPort: await freePort(), logFile: join(userFolder, 'n8n.log') });
const browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
try {
  await n8n.start();
  await n8n.setUp();
  const credential = await n8n.api<{ id: string; name: string }>('POST', '/credentials', {
    name: 'hookrelay',
    type: 'hookrelayApi',
    data: { baseUrl: relay.url, apiKey: ADMIN_TOKEN, allowedHttpRequestDomains: 'all' },
  });
  const credentials = { hookrelayApi: credential };
  const trigger = node(
    'Hookrelay Trigger',
    TYPE.trigger,
    { sources: 'stripe, github', types: 'invoice.*, push' },
    { webhookId: randomUUID(), credentials },
  );
  const poll = node(
    'Hookrelay Poll Trigger',
    'n8n-nodes-hookrelay.hookrelayPollTrigger',
    { source: 'stripe', type: 'invoice.*', pollTimes: { item: [{ mode: 'everyMinute' }] } },
    { credentials },
  );
  const action = node(
    'Hookrelay',
    TYPE.action,
    { resource: 'aiResponse', operation: 'createAndWait', model: 'gpt-4.1-mini', input: '={{ $json.payload.text }}' },
    { credentials },
  );
  const flows = {
    trigger: await n8n.api<{ id: string }>('POST', '/workflows', chain('Invoices from hookrelay', [trigger, action])),
    poll: await n8n.api<{ id: string }>('POST', '/workflows', chain('Poll hookrelay', [poll])),
  };
  await n8n.api('POST', `/workflows/${flows.trigger.id}/activate`);

  const page = await browser.newPage();
  await page.goto(`${n8n.url}/signin`);
  await page.locator('input[type="email"], input[name="emailOrLdapLoginId"]').first().fill(OWNER.email);
  await page.locator('input[type="password"]').first().fill(OWNER.password);
  await page.keyboard.press('Enter');
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));

  const shoot = async (workflowId: string, nodeName: string | null, file: string) => {
    await page.goto(`${n8n.url}/workflow/${workflowId}`);
    const nodes = page.locator('[data-test-id="canvas-node"]');
    const canvasNode = (nodeName ? nodes.filter({ has: page.getByText(nodeName, { exact: true }) }) : nodes).first();
    await canvasNode.waitFor();
    await page.keyboard.press('Escape');
    if (nodeName) {
      await canvasNode.dblclick();
      await page.locator('[data-test-id="ndv"]').first().waitFor();
    }
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(DOCS, file) });
    console.log(`docs/${file}`);
  };
  await shoot(flows.trigger.id, null, 'n8n-workflow.png');
  await shoot(flows.trigger.id, 'Hookrelay Trigger', 'n8n-trigger.png');
  await shoot(flows.trigger.id, 'Hookrelay', 'n8n-action.png');
  await shoot(flows.poll.id, 'Hookrelay Poll Trigger', 'n8n-poll-trigger.png');
  await page.goto(`${n8n.url}/home/credentials/${credential.id}`);
  await page.locator('[data-test-id="editCredential-modal"], .el-dialog').first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: join(DOCS, 'n8n-credential.png') });
  console.log('docs/n8n-credential.png');
} catch (error) {
  console.error(n8n.log.slice(-3000));
  throw error;
} finally {
  await browser.close();
  await n8n.stop();
  await relay.stop();
  await rm(userFolder, { recursive: true, force: true });
}

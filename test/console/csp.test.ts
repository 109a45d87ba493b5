import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, launchBrowser, signIn } from '../helpers/browser.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { CONSOLE_SOURCES, sendSigned } from './fixtures.ts';

// Issue 14 item 11: the console passes its own Content-Security-Policy. Every violation on any page is
// recorded by the browser (a `securitypolicyviolation` event and a console message); there must be none.
describe('browser console under its Content-Security-Policy', () => {
  let relay: TestRelay;
  let browser: ConsoleBrowser;
  let page: Page;
  let violations: string[] = [];
  const ids: string[] = [];

  before(async () => {
    relay = await startRelay({ sources: CONSOLE_SOURCES });
    for (const n of [1, 2]) ids.push((await sendSigned(relay, 'shop', { type: 'order.created', n })).id as string);
    const res = await fetch(`${relay.url}/v1/endpoints`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/csp' }),
    });
    assert.equal(res.status, 201);
    browser = await launchBrowser();
    page = await browser.newPage();
    violations = await watchViolations(page);
    await signIn(page, relay.url, ADMIN_TOKEN);
  });
  after(async () => {
    await browser?.close();
    await relay?.stop();
  });

  it('the policy is in force: an inline script the page adds is refused and reported', async () => {
    const probe = await browser.newPage();
    const reported = await watchViolations(probe);
    await probe.goto(relay.url); // signed in: the token is in this profile's local storage
    await probe.locator('main[data-page]').waitFor();
    await probe.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
    });
    // Reported twice, as the event and as a console message: both must arrive.
    await waitFor(
      'the refused inline script to be reported',
      () => reported.some((v) => v.startsWith('console:')) && reported.some((v) => v.startsWith('script-src')),
    );
    assert.equal(await probe.evaluate(() => (window as unknown as { inlineRan?: boolean }).inlineRan), undefined);
    await probe.close();
    browser.errors.length = 0; // the refusal above, which this tab reported as an error on purpose
  });

  it('shows every page, an event, a diff and an endpoint`s deliveries with no violation', async () => {
    const hrefs = await page.locator('nav a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
    assert.ok(hrefs.length >= 6, hrefs.join(' '));
    for (const id of hrefs.map((href) => href.replace('#/', ''))) {
      await page.goto(`${relay.url}/#/${id}`);
      await page.locator(`main[data-page="${id}"]`).waitFor();
    }
    await page.goto(`${relay.url}/#/events/${ids[0]}`);
    await page.locator('#detail-title', { hasText: 'order.created' }).waitFor();
    for (const id of ids) await page.getByLabel(`Select order.created ${id} for diff`).check();
    await page.getByRole('button', { name: 'Compare 2/2' }).click();
    await page.locator('#detail-title', { hasText: 'Diff' }).waitFor();
    await page.click('nav a[href="#/endpoints"]');
    const row = page.locator('tr', { hasText: 'http://127.0.0.1:9/csp' });
    await row.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByRole('button', { name: 'Replay' }).waitFor();
    assert.deepEqual(violations, []);
    assert.deepEqual(browser.errors, []);
  });
});

/** Collects the page's CSP violations: the DOM event (listened for before any page script runs) and console messages. */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportViolation(t: string): void }).reportViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  return violations;
}

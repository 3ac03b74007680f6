import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { artifactsDir } from '../support/artifacts.js';
import { describeWithBrowser, launchChromium } from '../support/browser.js';
import { createUser, type TestUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A host name that is not loopback, so the browser treats the page as any plain-HTTP site on a network. */
const HOST = 'agents.example.test';

describeWithBrowser('Swagger UI in headless Chromium, over plain HTTP by a host name (e2e)', () => {
  let t: TestApp;
  let alice: TestUser;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const shots = artifactsDir('browser');
  const failed: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    alice = await createUser(t);
    browser = await launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
    page = await browser.context.newPage();
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders every operation, with no asset rewritten to https', async () => {
    const port = new URL(t.url).port;
    const response = await page.goto(`http://${HOST}:${port}/docs`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'swagger-ui.png'), fullPage: true });
    expect(page.url()).toBe(`http://${HOST}:${port}/docs`);
    const documented = (await t.http.get('/docs-json').expect(200)).body.paths as Record<string, object>;
    const operations = Object.values(documented).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(failed).toEqual([]);
  });

  it('uploads through a file picker, authorized with a token, and shows the 201', async () => {
    await page.click('button.authorize');
    await page.fill('.auth-container input', alice.token);
    await page.click('.auth-btn-wrapper button.authorize');
    await page.click('button.btn-done');

    const upload = page.locator('#operations-documents-DocumentsController_upload');
    await upload.locator('.opblock-summary').click();
    await upload.locator('button.try-out__btn').click();
    await upload.locator('.opblock-section-request-body select').selectOption('multipart/form-data');
    const file = upload.locator('input[type=file]');
    await expect(file.count()).resolves.toBe(1);
    await file.setInputFiles({
      name: 'handbook.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# VPN\n\nVPN access is granted by IT after your first login.'),
    });
    await upload.locator('button.execute').click();
    const status = upload.locator('.live-responses-table .response .response-col_status');
    await status.first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'swagger-ui-upload.png'), fullPage: true });
    expect((await status.first().textContent())?.trim()).toMatch(/^201/);

    const documents = (await t.http.get('/api/documents').set(alice.auth).expect(200)).body;
    expect(documents).toEqual([expect.objectContaining({ mime_type: 'text/markdown', size_bytes: 58 })]);
  });
});

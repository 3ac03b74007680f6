import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { artifactsDir } from '../support/artifacts.js';
import { describeWithBrowser, launchChromium } from '../support/browser.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';

const HOST = 'playground.example.test';

/** The playground as a person uses it, in headless Chromium: register, upload, chat with a tool call, cancel. */
describeWithBrowser('The playground in headless Chromium (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let closeApp: () => Promise<void>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const shots = artifactsDir('browser');
  const email = `playground-${randomUUID()}@example.com`;
  const problems: string[] = [];

  beforeAll(async () => {
    ({ t, llm, close: closeApp } = await startChatApp());
    browser = await launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
    page = await browser.context.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
    await page.goto(`http://${HOST}:${new URL(t.url).port}/playground`);
    await page.waitForSelector('body[data-ready=true]');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await closeApp?.();
  });

  const lastAssistant = () => page.locator('.message.assistant').last();

  it('registers and signs in', async () => {
    await page.fill('#email', email);
    await page.fill('#password', 'correct horse battery staple');
    await page.click('#register');
    await page.waitForSelector('#app:not([hidden])');
    expect(await page.textContent('#who-email')).toBe(email);
    expect(await page.locator('#agent option').count()).toBeGreaterThan(1);
    await page.screenshot({ path: join(shots, 'playground-signed-in.png') });
  });

  it('uploads a document through the file picker', async () => {
    await page.setInputFiles('#file', {
      name: 'onboarding.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from('# Onboarding guide\n\nVPN access is granted by IT after your first login.'),
    });
    await page.click('#upload');
    await page.waitForSelector('#documents li');
    expect(await page.textContent('#documents li')).toContain('onboarding.md (1 passages)');
  });

  it('streams an answer with a visible tool call and its result', async () => {
    await page.selectOption('#agent', 'tester');
    await page.fill('#message', '[[tool:search_documents:{"query":"VPN access"}]]');
    await page.click('#send');
    await page.waitForSelector('.message.assistant[data-status=completed]', { timeout: 15_000 });
    const tool = lastAssistant().locator('.tool-call[data-tool=search_documents]');
    await tool.locator('summary').click();
    expect(await tool.locator('summary').textContent()).toMatch(/search_documents · done in \d+ ms/);
    expect(await tool.locator('.input').textContent()).toContain('"query": "VPN access"');
    expect(await tool.locator('.result').textContent()).toContain('VPN access is granted by IT');
    expect(await lastAssistant().textContent()).toContain('TOOL_RESULTS:');
    expect(await page.textContent('#status')).toBe('completed');
    await page.screenshot({ path: join(shots, 'playground-tool-call.png') });
    expect(await page.locator('#conversations li').count()).toBe(1);
  });

  it('shows the answer while it streams, and cancel stops it, keeping what came', async () => {
    llm.reset();
    await page.fill('#message', 'tell me everything [[slow]]');
    await page.click('#send');
    // Text on the page before the answer has finished: it streams.
    await lastAssistant().locator('.text', { hasText: 'tick2 ' }).waitFor();
    expect(await lastAssistant().getAttribute('data-status')).toBeNull();
    expect(await page.isEnabled('#cancel')).toBe(true);
    await page.click('#cancel');
    await page.waitForSelector('.message.assistant[data-status=cancelled]', { timeout: 5_000 });
    await page.screenshot({ path: join(shots, 'playground-cancelled.png') });
    expect((await llm.waitForAbort(2_000)).aborted).toBe(true);
    expect(await page.isEnabled('#send')).toBe(true);
    const shown = await lastAssistant().locator('.text').textContent();
    expect(shown).toMatch(/^tick0 tick1 tick2 /);

    // The page keeps its session where a reload finds it.
    const stored = await page.evaluate<string | null>('localStorage.getItem("agent-backend.playground")');
    const { token } = JSON.parse(stored!) as { token: string };
    const [conversation] = (await t.http.get('/api/conversations').set('Authorization', `Bearer ${token}`)).body;
    const history = (await t.http.get(`/api/chat/${conversation.id}/history`).set('Authorization', `Bearer ${token}`))
      .body;
    expect(history.at(-1)).toMatchObject({ role: 'assistant', status: 'cancelled' });
    expect(shown).toContain(history.at(-1).content);
  });

  it('a reload mid-answer picks the running answer up again and follows it to the end', async () => {
    llm.reset();
    await page.fill('#message', 'a long one [[deltas:30:80]]');
    await page.click('#send');
    await lastAssistant().locator('.text', { hasText: 'chunk2 ' }).waitFor();
    const before = problems.length;
    await page.reload();
    // The stream the reload cut was the page's own doing, not an error.
    problems.splice(before).forEach((p) => expect(p).toMatch(/^failed: .*\/api\/chat .*ERR_ABORTED/));
    await page.waitForSelector('body[data-ready=true]');
    await page.waitForSelector('.message.assistant[data-status=completed]', { timeout: 20_000 });
    const text = await lastAssistant().locator('.text').textContent();
    expect(text).toBe(Array.from({ length: 30 }, (_, i) => `chunk${i} `).join(''));
    expect(await page.locator('.message.user', { hasText: 'a long one' }).count()).toBe(1);
    expect(llm.requests.filter((r) => !r.aborted)).toHaveLength(1);
    await page.screenshot({ path: join(shots, 'playground-resumed.png') });
  });

  it('shares the open conversation: the member is listed, reads it, and is removed again', async () => {
    const friend = await createUser(t);
    await page.locator('#conversations li a').first().click();
    await page.waitForSelector('#share-form:not([hidden])');
    await page.fill('#share-email', friend.email);
    await page.selectOption('#share-role', 'viewer');
    await page.click('#share');
    const member = page.locator('#members li', { hasText: friend.email });
    await member.waitFor();
    expect(await member.textContent()).toContain('viewer');
    await page.screenshot({ path: join(shots, 'playground-shared.png') });

    const id = await page.locator('#conversations li.current').getAttribute('data-id');
    const shared = (await t.http.get('/api/conversations').set(friend.auth).expect(200)).body as Array<{ id: string }>;
    expect(shared.map((c) => c.id)).toEqual([id]);
    await t.http.get(`/api/chat/${id}/history`).set(friend.auth).expect(200);

    await member.locator('button').click();
    await member.waitFor({ state: 'detached' });
    await t.http.get(`/api/chat/${id}/history`).set(friend.auth).expect(404);
  });

  it('raised no error in the page', () => {
    expect(problems).toEqual([]);
  });
});

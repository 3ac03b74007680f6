import { Controller, Get, Module } from '@nestjs/common';
import { Public } from '../../src/common/decorators/public.decorator.js';
import { uploadFile } from '../fixtures/documents/documents.factory.js';
import type { ScriptedAnthropic } from '../fixtures/scripted-anthropic/scripted-anthropic.server.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import { findLeaks, recordResponses } from '../support/response-recorder.js';
import { streamChat } from '../support/sse.js';
import type { TestApp } from '../support/test-app.js';

/** Fails the way a bug does: a TypeError with internals in its message. */
@Controller('test-bug')
class BuggyController {
  @Public()
  @Get()
  fail(): never {
    const config = undefined as unknown as { db: { password: string } };
    return config.db.password as never;
  }
}

@Module({ controllers: [BuggyController] })
class BuggyModule {}

/** What a response must never contain: stack frames, file paths, driver and runtime error names, SQL, upstream text. */
const INTERNALS: Array<string | RegExp> = [
  /\bat [\w.<>]+ \(/,
  /\.(ts|js|mjs):\d+/,
  'node_modules',
  '/work/',
  'QueryFailedError',
  'TypeError',
  'SyntaxError',
  'RangeError',
  'Cannot read properties',
  'ECONNREFUSED',
  /\b(SELECT|INSERT INTO|UPDATE \w+ SET)\b/,
  'boom: internal detail',
  '/srv/secret',
  // Upstream's own error bodies and request ids are not passed through.
  'Scripted',
  'req_scripted',
];

const SECURITY_HEADERS: Record<string, RegExp> = {
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /default-src 'self'/,
  'x-frame-options': /^SAMEORIGIN$/,
  'referrer-policy': /^no-referrer$/,
  'cross-origin-opener-policy': /^same-origin$/,
  'x-request-id': /.+/,
};

/**
 * HSTS is sent only over HTTPS, which these requests are not (test/e2e/http-interop.e2e-spec.ts checks both ways).
 * Also covered elsewhere: every registered route is in /docs-json and vice versa, and every non-public route
 * answers 401 without a token (test/e2e/platform.e2e-spec.ts); a 500 body is exactly the generic problem (same
 * file); a database outage is a 503 naming no internals (test/faults/postgres-outage.e2e-spec.ts).
 */
describe('Security: security misconfiguration (e2e)', () => {
  let t: TestApp;
  let llm: ScriptedAnthropic;
  let close: () => Promise<void>;
  let alice: TestUser;
  let recorder: ReturnType<typeof recordResponses>;

  beforeAll(async () => {
    ({ t, llm, close } = await startChatApp(
      { CORS_ORIGINS: 'https://app.example.com', RATE_LIMIT_CHAT_PER_MINUTE: '1000' },
      [BuggyModule],
    ));
    recorder = recordResponses(t);
    alice = await createUser(t);
  });
  afterAll(async () => {
    recorder.stop();
    await close();
  });

  it('provokes every kind of failure the API has (and the stream has)', async () => {
    const json = (path: string, body: string, type = 'application/json') =>
      t.http.post(path).set(alice.auth).set('Content-Type', type).send(body);
    expect((await json('/api/chat', '{"messages": [')).status).toBe(400);
    expect((await json('/api/chat', '{"messages": []}', 'application/json; charset=latin1')).status).toBe(415);
    expect((await json('/api/chat', JSON.stringify({ messages: 'x'.repeat(1_100_000) }))).status).toBe(413);
    expect((await json('/api/documents', '%PDF-1.7', 'application/pdf')).status).toBe(415);
    expect((await uploadFile(t, alice, Buffer.from([0, 1, 2, 3, 255, 254]), { filename: 'x.bin' })).status).toBe(415);
    expect((await uploadFile(t, alice, Buffer.from('%PDF-1.7\n%broken'), { filename: 'x.pdf' })).status).toBe(422);
    expect((await t.http.get('/api/documents/not-a-uuid').set(alice.auth)).status).toBe(400);
    expect((await t.http.get('/api/chat/not-a-uuid/history').set(alice.auth)).status).toBe(400);
    expect((await t.http.get('/api/nowhere').set(alice.auth)).status).toBe(404);
    expect((await t.http.put('/api/documents').set(alice.auth)).status).toBe(404);
    expect((await t.http.get('/api/auth/me').set('Authorization', 'Bearer x.y.z')).status).toBe(401);
    expect((await t.http.get('/api/test-bug')).status).toBe(500);
    const stream = (content: string) =>
      streamChat(t.url, alice.token, { agent: 'tester', messages: [{ role: 'user', content }] });
    for (const prompt of [
      '[[tool:explode:{}]]',
      '[[http:500]]',
      '[[http:401]]',
      '[[malformed]]',
      '[[midstream-error]]',
    ]) {
      expect((await stream(prompt)).done).toBe(true);
    }
    expect(llm.requests.length).toBeGreaterThan(5);
  });

  it('no response carries a stack trace, a path, a driver error, SQL or upstream internals', () => {
    expect(recorder.responses.length).toBeGreaterThan(15);
    expect(findLeaks(recorder.responses, INTERNALS)).toEqual([]);
  });

  it('every response the app wrote, errors and streams included, carries the security headers', () => {
    const missing: string[] = [];
    for (const r of recorder.responses) {
      if (r.url.startsWith('/docs')) continue;
      for (const [name, pattern] of Object.entries(SECURITY_HEADERS)) {
        if (!pattern.test(String(r.headers[name] ?? ''))) missing.push(`${r.method} ${r.url} -> ${r.status}: ${name}`);
      }
      if (r.headers['x-powered-by'] !== undefined) missing.push(`${r.method} ${r.url}: x-powered-by`);
    }
    expect(missing).toEqual([]);
  });

  describe('CORS refuses origins that are not listed', () => {
    const preflight = (origin: string) =>
      t.http.options('/api/auth/me').set('Origin', origin).set('Access-Control-Request-Method', 'GET');

    it('allows the listed origin, without credentials', async () => {
      const res = await preflight('https://app.example.com');
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it.each([
      ['another site', 'https://evil.example.com'],
      ['a suffix trick', 'https://app.example.com.evil.com'],
      ['a prefix trick', 'https://evilapp.example.com'],
      ['another scheme', 'http://app.example.com'],
      ['another port', 'https://app.example.com:8443'],
      ['the null origin', 'null'],
    ])('refuses %s on preflight and on the real request', async (_, origin) => {
      const pre = await preflight(origin);
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      const real = await t.http.get('/api/auth/me').set(alice.auth).set('Origin', origin);
      expect(real.headers['access-control-allow-origin']).toBeUndefined();
      expect(real.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });
});

import { createUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ORIGIN = 'https://app.example.com';

describe('HTTP details browsers and clients rely on (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: ORIGIN, TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  it.each(['/', '/index.html', '/doc', '/playgrounds'])('GET %s is a problem+json 404 NOT_FOUND', async (path) => {
    const res = await t.http.get(path).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      instance: path,
      request_id: res.headers['x-request-id'],
    });
  });

  it('any method on an unknown path outside /api is a problem too', async () => {
    const res = await t.http.post('/').send({ x: 1 }).expect(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', instance: '/' });
  });

  it('lets browser code on an allowed origin read the rate-limit, retry, replay and request-id headers', async () => {
    const alice = await createUser(t);
    const res = await t.http.get('/api/auth/me').set(alice.auth).set('Origin', ORIGIN).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    const exposed = String(res.headers['access-control-expose-headers']).split(',');
    for (const name of [
      'X-Request-Id',
      'Retry-After',
      'Idempotent-Replayed',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'X-RateLimit-Remaining-chat',
    ]) {
      expect(exposed).toContain(name);
    }
    // Every rate-limit header the server actually sends is among them.
    const sent = Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit'));
    expect(sent.length).toBeGreaterThan(0);
    for (const name of sent) expect(exposed.map((e) => e.toLowerCase())).toContain(name);
  });

  it('sends HSTS only when the request came over HTTPS (here: through a trusted proxy)', async () => {
    const plain = await t.http.get('/ready').expect(200);
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const secure = await t.http.get('/ready').set('X-Forwarded-Proto', 'https').expect(200);
    expect(secure.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('serves the playground page and its files, and nothing else from its folder', async () => {
    const page = await t.http.get('/playground').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    expect(page.text).toContain('/playground/playground.js');
    const script = await t.http.get('/playground/playground.js').expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    await t.http.get('/playground/playground.css').expect(200);
    const missing = await t.http.get('/playground/../package.json').expect(404);
    expect(missing.body).toMatchObject({ code: 'NOT_FOUND' });
    await t.http.get('/playground/nothing.js').expect(404);
  });
});

import { createUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('Auth (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_LOGIN_PER_MINUTE: '10',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '1000',
        RATE_LIMIT_REGISTER_PER_HOUR: '1000',
      },
    });
  });
  afterAll(() => t.close());

  it('registers, logs in and answers /me', async () => {
    const reg = await t.http
      .post('/api/auth/register')
      .send({ email: 'Ada@Example.com', password: 'password-123' })
      .expect(201);
    expect(reg.body).toEqual({ id: expect.any(String), email: 'ada@example.com', created_at: expect.any(String) });
    expect(reg.body).not.toHaveProperty('password_hash');

    const login = await t.http
      .post('/api/auth/login')
      .send({ email: 'ada@example.com', password: 'password-123' })
      .expect(200);
    expect(login.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    // A token must not be kept by any cache on the way (RFC 6749 §5.1).
    expect(login.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });

    const me = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${login.body.access_token}`).expect(200);
    expect(me.body).toEqual({ id: reg.body.id, email: 'ada@example.com', roles: ['user'] });
  });

  it('refuses a taken email with 409, whatever its case', async () => {
    await t.http.post('/api/auth/register').send({ email: 'dup@example.com', password: 'password-123' }).expect(201);
    const res = await t.http
      .post('/api/auth/register')
      .send({ email: 'DUP@example.com', password: 'password-456' })
      .expect(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 409, code: 'EMAIL_TAKEN', instance: '/api/auth/register' });
  });

  it('answers 401 for a wrong password and for an unknown email, with the same message', async () => {
    const user = await createUser(t);
    const wrong = await t.http
      .post('/api/auth/login')
      .send({ email: user.email, password: 'not-the-password' })
      .expect(401);
    const unknown = await t.http
      .post('/api/auth/login')
      .send({ email: 'nobody@example.com', password: 'whatever-123' })
      .expect(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.body).toMatchObject({ type: '/problems/unauthorized', title: 'Authentication required', status: 401 });
  });

  describe('validation', () => {
    it.each([
      ['a bad email', { email: 'not-an-email', password: 'password-123' }, 'email'],
      ['a short password', { email: 'short@example.com', password: 'short' }, 'password'],
      ['a missing password', { email: 'missing@example.com' }, 'password'],
      ['a non-string password', { email: 'num@example.com', password: 12345678 }, 'password'],
      ['an unknown field', { email: 'x@example.com', password: 'password-123', nickname: 'x' }, 'nickname'],
      ['self-granted roles', { email: 'y@example.com', password: 'password-123', roles: ['admin'] }, 'roles'],
    ])('rejects %s with a 400 problem listing the field', async (_, body, field) => {
      const res = await t.http.post('/api/auth/register').send(body).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', request_id: expect.any(String) });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('refuses __proto__ in the body (no prototype pollution)', async () => {
      const res = await t.http
        .post('/api/auth/register')
        .set('Content-Type', 'application/json')
        .send('{"email":"p@example.com","password":"password-123","__proto__":{"roles":["admin"]}}')
        .expect(400);
      expect(res.body.errors[0].field).toBe('__proto__');
      expect(({} as Record<string, unknown>).roles).toBeUndefined();
    });

    it('refuses a JSON array or scalar body', async () => {
      await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send('[1,2]').expect(400);
      await t.http.post('/api/auth/register').send().expect(400);
    });

    it('answers malformed JSON with a 400 problem', async () => {
      const res = await t.http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email": ')
        .expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
      expect(JSON.stringify(res.body)).not.toMatch(/SyntaxError|at JSON|node_modules/);
    });

    it('answers a 2 MiB body with 413', async () => {
      const big = JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(2 * 1024 * 1024) });
      const res = await t.http.post('/api/auth/register').set('Content-Type', 'application/json').send(big).expect(413);
      expect(res.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    });
  });

  describe('login throttling', () => {
    it('limits attempts per account (10 a minute) even from rotating X-Forwarded-For', async () => {
      const user = await createUser(t);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const res = await t.http
          .post('/api/auth/login')
          .set('X-Forwarded-For', `203.0.113.${i}`)
          .send({ email: user.email, password: 'wrong-password' });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
        }
      }
      expect(statuses.slice(0, 9).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(-2)).toEqual([429, 429]);
    });
  });
});

describe('Auth: throttling per client address (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '5',
        RATE_LIMIT_REGISTER_PER_HOUR: '3',
      },
    });
  });
  afterAll(() => t.close());

  it('limits attempts per client address across accounts; a forged X-Forwarded-For does not reset it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await t.http
        .post('/api/auth/login')
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send({ email: `spray-${i}@example.com`, password: 'password-123' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('limits registrations per client address, whatever the outcome; a forged X-Forwarded-For does not reset it', async () => {
    const register = (email: string, i: number) =>
      t.http
        .post('/api/auth/register')
        .set('X-Forwarded-For', `192.0.2.${i}`)
        .send({ email, password: 'password-123' });
    const statuses: number[] = [];
    for (const [i, email] of [
      'mint-0@example.com',
      'mint-0@example.com',
      'not-an-email',
      'mint-1@example.com',
    ].entries()) {
      const res = await register(email, i);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
        // Blocked for the hour the limit counts.
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(3500);
      }
    }
    expect(statuses).toEqual([201, 409, 400, 429]);
  });
});

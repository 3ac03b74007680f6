import { randomUUID } from 'node:crypto';
import { createUser, type TestUser } from '../support/factories.js';
import { decodeJwtPayload, forgeJwt } from '../support/jwt.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

describe('JWT verification (e2e)', () => {
  let t: TestApp;
  let user: TestUser;
  let other: TestUser;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    t = await startTestApp();
    user = await createUser(t);
    other = await createUser(t);
  });
  afterAll(() => t.close());

  const valid = () => ({
    sub: user.id,
    sid: decodeJwtPayload(user.token).sid,
    email: user.email,
    roles: ['user'],
    iat: now(),
    exp: now() + 600,
    iss: t.config.jwt.issuer,
    aud: t.config.jwt.audience,
  });

  it('accepts the issued token and a hand-made valid one (the forger is right)', async () => {
    await t.http.get('/api/auth/me').set(user.auth).expect(200);
    await t.http
      .get('/api/auth/me')
      .set('Authorization', `Bearer ${forgeJwt(valid(), TEST_JWT_SECRET)}`)
      .expect(200);
    // The scheme is case-insensitive (RFC 7235).
    await t.http.get('/api/auth/me').set('Authorization', `bearer ${user.token}`).expect(200);
    expect(decodeJwtPayload(user.token)).toMatchObject({
      sub: user.id,
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: 'agent-backend',
      aud: 'agent-backend-api',
      exp: expect.any(Number),
    });
  });

  const cases: Array<[string, () => string | undefined]> = [
    ['no token', () => undefined],
    ['a non-bearer scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a bearer scheme without a token', () => 'Bearer'],
    ['two tokens', () => `Bearer ${user.token} ${user.token}`],
    ['garbage', () => 'Bearer not.a.jwt'],
    [
      'a tampered payload',
      () => {
        const [h, , s] = forgeJwt(valid(), TEST_JWT_SECRET).split('.');
        const p = Buffer.from(JSON.stringify({ ...valid(), roles: ['admin'] })).toString('base64url');
        return `Bearer ${h}.${p}.${s}`;
      },
    ],
    ['alg none', () => `Bearer ${forgeJwt(valid(), '', { alg: 'none', typ: 'JWT' })}`],
    ['alg HS512', () => `Bearer ${forgeJwt(valid(), TEST_JWT_SECRET, { alg: 'HS512', typ: 'JWT' })}`],
    ['another secret', () => `Bearer ${forgeJwt(valid(), 'some-other-secret-that-is-long-enough-000000')}`],
    [
      'an expired token',
      () => `Bearer ${forgeJwt({ ...valid(), iat: now() - 7200, exp: now() - 3600 }, TEST_JWT_SECRET)}`,
    ],
    [
      'no exp',
      () => {
        const { exp: _exp, ...rest } = valid();
        return `Bearer ${forgeJwt(rest, TEST_JWT_SECRET)}`;
      },
    ],
    ['a token not valid yet (nbf)', () => `Bearer ${forgeJwt({ ...valid(), nbf: now() + 600 }, TEST_JWT_SECRET)}`],
    ['a wrong issuer', () => `Bearer ${forgeJwt({ ...valid(), iss: 'someone-else' }, TEST_JWT_SECRET)}`],
    ['a wrong audience', () => `Bearer ${forgeJwt({ ...valid(), aud: 'other-api' }, TEST_JWT_SECRET)}`],
    ['a non-uuid subject', () => `Bearer ${forgeJwt({ ...valid(), sub: "1' OR '1'='1" }, TEST_JWT_SECRET)}`],
    [
      'no session (sid)',
      () => {
        const { sid: _sid, ...rest } = valid();
        return `Bearer ${forgeJwt(rest, TEST_JWT_SECRET)}`;
      },
    ],
    ['a non-uuid session', () => `Bearer ${forgeJwt({ ...valid(), sid: "1' OR '1'='1" }, TEST_JWT_SECRET)}`],
    ['a session that never existed', () => `Bearer ${forgeJwt({ ...valid(), sid: randomUUID() }, TEST_JWT_SECRET)}`],
    [
      "another user's session",
      () => `Bearer ${forgeJwt({ ...valid(), sid: decodeJwtPayload(other.token).sid }, TEST_JWT_SECRET)}`,
    ],
    [
      'a kid header pointing elsewhere',
      () => `Bearer ${forgeJwt(valid(), 'x', { alg: 'HS256', typ: 'JWT', kid: '../../dev/null' })}`,
    ],
  ];

  it.each(cases)('rejects %s with a 401 problem', async (_, header) => {
    const req = t.http.get('/api/auth/me');
    const value = header();
    if (value) req.set('Authorization', value);
    const res = await req.expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      detail: 'Missing, invalid or expired bearer token',
    });
  });

  // A verified token is remembered (its signature is not checked again), so these check what must still happen.
  it('refuses a token it accepted before, once the token has expired', async () => {
    const exp = now() + 2;
    const header = `Bearer ${forgeJwt({ ...valid(), exp }, TEST_JWT_SECRET)}`;
    await t.http.get('/api/auth/me').set('Authorization', header).expect(200);
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 + 50 - Date.now()));
    await t.http.get('/api/auth/me').set('Authorization', header).expect(401);
  });

  it('refuses an altered copy of a token it accepted', async () => {
    const token = forgeJwt(valid(), TEST_JWT_SECRET);
    await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    const [h, p, sig] = token.split('.');
    const otherSig = `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BB' : 'AA'}`;
    const tampered = Buffer.from(JSON.stringify({ ...valid(), roles: ['admin'] })).toString('base64url');
    for (const altered of [`${h}.${p}.${otherSig}`, `${h}.${tampered}.${sig}`]) {
      await t.http.get('/api/auth/me').set('Authorization', `Bearer ${altered}`).expect(401);
    }
  });
});

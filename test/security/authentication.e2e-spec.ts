import { createUser, type TestUser } from '../support/factories.js';
import { decodeJwtPayload, forgeJwt } from '../support/jwt.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

/**
 * The classic token attacks (alg none, tampered payload, another secret, HS512, expired, no exp, wrong issuer or
 * audience, a non-UUID subject, a kid path) are in test/e2e/jwt.e2e-spec.ts, and login throttling per account, per
 * address and against a forged X-Forwarded-For in test/e2e/auth.e2e-spec.ts. This suite adds the remaining ways to
 * present or forge a token, and shows that throttling cannot be sidestepped.
 */
describe('Security: broken authentication (e2e)', () => {
  let t: TestApp;
  let user: TestUser;
  const now = () => Math.floor(Date.now() / 1000);
  const ATTACKER_KEY = 'attacker-controlled-key-0123456789abcdef';

  beforeAll(async () => {
    t = await startTestApp({
      env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3', RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '1000' },
    });
    user = await createUser(t);
  });
  afterAll(() => t.close());

  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: user.id,
    sid: decodeJwtPayload(user.token).sid,
    email: user.email,
    roles: ['user', 'admin'],
    iat: now(),
    exp: now() + 600,
    iss: t.config.jwt.issuer,
    aud: t.config.jwt.audience,
    ...extra,
  });

  describe('forged or misplaced tokens are 401', () => {
    const cases: Array<[string, () => { header?: string; path?: string; cookie?: string }]> = [
      [
        'a key embedded in the header (jwk)',
        () => ({
          header: forgeJwt(claims(), ATTACKER_KEY, {
            alg: 'HS256',
            typ: 'JWT',
            jwk: { kty: 'oct', k: Buffer.from(ATTACKER_KEY).toString('base64url') },
          }),
        }),
      ],
      [
        'a key URL in the header (jku / x5u)',
        () => ({
          header: forgeJwt(claims(), ATTACKER_KEY, {
            alg: 'HS256',
            jku: 'https://attacker.example/jwks.json',
            x5u: 'https://attacker.example/cert.pem',
          }),
        }),
      ],
      [
        'an SQL-injection kid naming a known value as the key',
        () => ({ header: forgeJwt(claims(), 'secret', { alg: 'HS256', kid: "' UNION SELECT 'secret' --" }) }),
      ],
      [
        'RS256 claimed, signed as HMAC (key confusion)',
        () => ({ header: forgeJwt(claims(), ATTACKER_KEY, { alg: 'RS256' }) }),
      ],
      [
        'a not-yet-valid token (nbf in the future)',
        () => ({ header: forgeJwt(claims({ nbf: now() + 3600 }), TEST_JWT_SECRET) }),
      ],
      ['an exp that is not a number', () => ({ header: forgeJwt(claims({ exp: 'never' }), TEST_JWT_SECRET) })],
      ['an audience list without ours', () => ({ header: forgeJwt(claims({ aud: ['other-api'] }), TEST_JWT_SECRET) })],
      ['a valid token in the query string', () => ({ path: `?access_token=${forgeJwt(claims(), TEST_JWT_SECRET)}` })],
      ['a valid token in a cookie', () => ({ cookie: `access_token=${forgeJwt(claims(), TEST_JWT_SECRET)}` })],
      ['an empty bearer', () => ({ header: '' })],
    ];

    it.each(cases)('%s', async (_, make) => {
      const { header, path = '', cookie } = make();
      const req = t.http.get(`/api/auth/me${path}`);
      if (header !== undefined) req.set('Authorization', `Bearer ${header}`);
      if (cookie) req.set('Cookie', cookie);
      const res = await req.expect(401);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', detail: 'Missing, invalid or expired bearer token' });
    });
  });

  it('a forged admin claim opens no admin route', async () => {
    const forged = forgeJwt(claims(), ATTACKER_KEY);
    await t.http.get('/api/admin/stats').set('Authorization', `Bearer ${forged}`).expect(401);
  });

  describe('login throttling cannot be sidestepped', () => {
    it('case and whitespace variants of an email are one account', async () => {
      const victim = await createUser(t);
      const [name, domain] = victim.email.split('@');
      const variants = [victim.email, victim.email.toUpperCase(), ` ${name}@${domain.toUpperCase()} `, victim.email];
      const statuses: number[] = [];
      // createUser logged in once already: 3 per minute leaves two wrong attempts before 429.
      for (const email of variants) {
        statuses.push((await t.http.post('/api/auth/login').send({ email, password: 'wrong-password' })).status);
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
    });

    it('once throttled, even the right password is refused (guessing cannot win within the window)', async () => {
      const victim = await createUser(t);
      for (let i = 0; i < 2; i++) {
        await t.http
          .post('/api/auth/login')
          .send({ email: victim.email, password: `guess-${i}-xx` })
          .expect(401);
      }
      const res = await t.http.post('/api/auth/login').send({ email: victim.email, password: victim.password });
      expect(res.status).toBe(429);
      expect(res.body).not.toHaveProperty('access_token');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('an unknown account is throttled the same way (no account-existence oracle)', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await t.http.post('/api/auth/login').send({ email: 'nobody-here@example.com', password: 'password-1' }))
            .status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    });
  });
});

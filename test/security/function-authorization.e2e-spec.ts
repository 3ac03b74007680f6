import { createUser, type TestUser } from '../support/factories.js';
import { decodeJwtPayload, forgeJwt } from '../support/jwt.js';
import { concretePath } from '../support/routes.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

describe('Security: broken function-level authorization (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;
  let user: TestUser;
  /**
   * Operations that require a role: `@Authenticated({ roles })` documents them with a 403 "Requires role: …". Other
   * 403s (a conversation's member acting as its owner) are about the object, not the caller's role.
   */
  let roleRoutes: Array<{ method: string; path: string }>;

  beforeAll(async () => {
    t = await startTestApp({ env: { ADMIN_EMAILS: 'root@example.com' } });
    admin = await createUser(t, { email: 'root@example.com' });
    user = await createUser(t);
    const doc = (await t.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>>;
    };
    roleRoutes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.responses['403']?.description?.startsWith('Requires role') === true)
        .map(([method]) => ({ method, path: concretePath(path.replace(/\{(\w+)\}/g, ':$1')) })),
    );
  });
  afterAll(() => t.close());

  const call = (route: { method: string; path: string }, auth?: Record<string, string>) => {
    const req = t.http[route.method as 'get'](route.path);
    return auth ? req.set(auth) : req;
  };

  it('finds the admin routes from the OpenAPI document (GET /api/admin/stats at least)', () => {
    expect(roleRoutes).toContainEqual({ method: 'get', path: '/api/admin/stats' });
  });

  it('every role-restricted route: 401 anonymous, 403 for a normal user, 2xx for an admin', async () => {
    for (const route of roleRoutes) {
      expect([route, (await call(route)).status]).toEqual([route, 401]);
      const denied = await call(route, user.auth);
      expect([route, denied.status]).toEqual([route, 403]);
      expect(denied.body).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      expect(denied.text).not.toMatch(/"users"|"runs"/);
      const allowed = await call(route, admin.auth);
      expect([route, allowed.status < 300]).toEqual([route, true]);
    }
  });

  it('the admin role comes from configuration, not from anything a client sends', async () => {
    await t.http
      .post('/api/auth/register')
      .send({ email: 'wannabe@example.com', password: 'password-123', roles: ['admin'] })
      .expect(400);
    expect((await t.http.get('/api/auth/me').set(user.auth).expect(200)).body.roles).toEqual(['user']);
    // Even a correctly signed token cannot carry a role the token issuer does not know.
    const odd = forgeJwt(
      {
        sub: user.id,
        sid: decodeJwtPayload(user.token).sid,
        email: user.email,
        roles: ['superuser', 'ADMIN', 'admin '],
        exp: Math.floor(Date.now() / 1000) + 600,
        iss: t.config.jwt.issuer,
        aud: t.config.jwt.audience,
      },
      TEST_JWT_SECRET,
    );
    await t.http.get('/api/admin/stats').set('Authorization', `Bearer ${odd}`).expect(403);
  });

  it('other methods on an admin path are not a way in', async () => {
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const res = await t.http[method]('/api/admin/stats').set(user.auth);
      expect([method, res.status]).toEqual([method, 404]);
    }
  });
});

import { DataSource } from 'typeorm';
import type { AuthUser } from '../../src/auth/auth-user.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { AuthSessionsRepository } from '../../src/auth/sessions/auth-sessions.repository.js';
import { SessionsService } from '../../src/auth/sessions/sessions.service.js';
import { ClusterEvents } from '../../src/cluster/cluster-events.js';
import { LocalClusterEvents } from '../../src/cluster/local-cluster-events.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createUser, type TestUser } from '../support/factories.js';
import { decodeJwtPayload } from '../support/jwt.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

const NEW_PASSWORD = 'a brand new passphrase';

describe('Auth: sessions that can be ended (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: { RATE_LIMIT_LOGIN_PER_MINUTE: '5', RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => t.close());

  const signIn = async (user: TestUser, password = user.password) => {
    const res = await t.http.post('/api/auth/login').send({ email: user.email, password }).expect(200);
    return { Authorization: `Bearer ${res.body.access_token as string}` };
  };

  /** Each kind of route a token opens: reads, a write that stores rows of the user, and the streaming one. */
  const everywhere = (auth: { Authorization: string }) => ({
    'GET /api/auth/me': t.http.get('/api/auth/me').set(auth),
    'GET /api/documents': t.http.get('/api/documents').set(auth),
    'POST /api/documents': t.http.post('/api/documents').set(auth).send({ title: 'after', content: 'too late' }),
    'POST /api/chat': t.http
      .post('/api/chat')
      .set(auth)
      .send({ messages: [{ role: 'user', content: 'hello' }], stream: false }),
    'POST /api/auth/logout': t.http.post('/api/auth/logout').set(auth),
  });

  async function expectRefusedEverywhere(auth: { Authorization: string }) {
    for (const [route, req] of Object.entries(everywhere(auth))) {
      const res = await req;
      expect([route, res.status]).toEqual([route, 401]);
      expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', detail: 'Missing, invalid or expired bearer token' });
    }
  }

  it('logout ends the calling session at once, and only that one', async () => {
    const user = await createUser(t);
    const phone = await signIn(user);
    await t.http.get('/api/auth/me').set(user.auth).expect(200);

    const res = await t.http.post('/api/auth/logout').set(user.auth).expect(204);
    expect(res.text).toBe('');
    await expectRefusedEverywhere(user.auth);
    await t.http.get('/api/auth/me').set(phone).expect(200);
  });

  it('a password change ends every session of the user, the caller’s included, and no one else’s', async () => {
    const user = await createUser(t);
    const bystander = await createUser(t);
    const laptop = await signIn(user);
    await t.http.get('/api/auth/me').set(laptop).expect(200);

    await t.http
      .post('/api/auth/password')
      .set(user.auth)
      .send({ current_password: user.password, new_password: NEW_PASSWORD })
      .expect(204);
    await expectRefusedEverywhere(user.auth);
    await expectRefusedEverywhere(laptop);
    await t.http.get('/api/auth/me').set(bystander.auth).expect(200);

    await t.http.post('/api/auth/login').send({ email: user.email, password: user.password }).expect(401);
    const fresh = await signIn(user, NEW_PASSWORD);
    await t.http.get('/api/auth/me').set(fresh).expect(200);
  });

  it('a wrong current password is a 400 naming the field, and the token stays valid', async () => {
    const user = await createUser(t);
    const res = await t.http
      .post('/api/auth/password')
      .set(user.auth)
      .send({ current_password: 'not-the-password', new_password: NEW_PASSWORD })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'current_password' }] });
    await t.http.get('/api/auth/me').set(user.auth).expect(200);
    await signIn(user);
  });

  it.each([
    ['a short new password', { new_password: 'short' }, 'new_password'],
    ['a non-string new password', { new_password: 12345678 }, 'new_password'],
    ['no current password', { current_password: undefined }, 'current_password'],
    ['an unknown field', { roles: ['admin'] }, 'roles'],
  ])('validates the new password like registration: %s is a 400', async (_, change, field) => {
    const user = await createUser(t);
    const res = await t.http
      .post('/api/auth/password')
      .set(user.auth)
      .send({ current_password: user.password, new_password: NEW_PASSWORD, ...change })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    await signIn(user);
  });

  it('guessing the current password is throttled like sign-in, per account', async () => {
    const user = await createUser(t);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.http
        .post('/api/auth/password')
        .set(user.auth)
        .send({ current_password: `guess-${i}-xxxx`, new_password: NEW_PASSWORD });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
    // Another account's budget is its own.
    const other = await createUser(t);
    await t.http
      .post('/api/auth/password')
      .set(other.auth)
      .send({ current_password: 'wrong-password', new_password: NEW_PASSWORD })
      .expect(400);
  });

  it('a token whose user no longer exists is 401 everywhere, not a 500', async () => {
    const user = await createUser(t);
    await t.app.get(DataSource).query(`DELETE FROM users WHERE id = $1`, [user.id]);
    await expectRefusedEverywhere(user.auth);
  });

  it('deleting an account refuses its tokens from the next request, though they were in use', async () => {
    const user = await createUser(t);
    await t.http.get('/api/auth/me').set(user.auth).expect(200);
    await t.app.get(AuthService).deleteUser(user.id);
    await expectRefusedEverywhere(user.auth);
  });

  it('reads a session from the database once, not per request', async () => {
    const user = await createUser(t);
    const reads = jest.spyOn(t.app.get(AuthSessionsRepository), 'findState');
    try {
      await Promise.all(Array.from({ length: 5 }, () => t.http.get('/api/auth/me').set(user.auth).expect(200)));
      for (let i = 0; i < 5; i++) await t.http.get('/api/documents').set(user.auth).expect(200);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('roles in /me are read fresh, not from the token', async () => {
    const user = await createUser(t);
    await t.app.get(DataSource).query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [user.id]);
    expect((await t.http.get('/api/auth/me').set(user.auth).expect(200)).body.roles).toEqual(['user', 'admin']);
  });

  describe('another instance', () => {
    /** A second instance's session check: the same database, and the cluster's events, or none. */
    function instance(events: ClusterEvents, ttlMs: number): SessionsService {
      const config = Object.assign(new AppConfig(), t.config, { sessionCacheTtlMs: ttlMs });
      const sessions = new SessionsService(t.app.get(AuthSessionsRepository), events, config);
      sessions.onModuleInit();
      return sessions;
    }
    const callerOf = (user: TestUser): AuthUser => ({
      id: user.id,
      email: user.email,
      roles: ['user'],
      sessionId: String(decodeJwtPayload(user.token).sid),
    });
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    /**
     * In one process the notice arrives before the next tick; through Redis it takes a round trip, so this waits
     * for it, far less than the 60 s the cache would otherwise keep the session.
     */
    const refused = (sessions: SessionsService, caller: AuthUser) =>
      waitFor(async () => !(await sessions.isLive(caller)), 2_000);

    it('hears a logout and refuses the token from its next request', async () => {
      const other = instance(t.app.get(ClusterEvents), 60_000);
      try {
        const user = await createUser(t);
        expect(await other.isLive(callerOf(user))).toBe(true);
        await t.http.post('/api/auth/logout').set(user.auth).expect(204);
        await refused(other, callerOf(user));
      } finally {
        other.onModuleDestroy();
      }
    });

    it('hears a password change and refuses every token of the user', async () => {
      const other = instance(t.app.get(ClusterEvents), 60_000);
      try {
        const user = await createUser(t);
        const laptop = await signIn(user);
        const laptopCaller = {
          ...callerOf(user),
          sessionId: String(decodeJwtPayload(laptop.Authorization.slice('Bearer '.length)).sid),
        };
        expect(await other.isLive(callerOf(user))).toBe(true);
        expect(await other.isLive(laptopCaller)).toBe(true);
        await t.http
          .post('/api/auth/password')
          .set(laptop)
          .send({ current_password: user.password, new_password: NEW_PASSWORD })
          .expect(204);
        await refused(other, callerOf(user));
        await refused(other, laptopCaller);
      } finally {
        other.onModuleDestroy();
      }
    });

    it('that missed the notice refuses the token once SESSION_CACHE_TTL_MS has passed', async () => {
      const deaf = instance(new LocalClusterEvents(), 500);
      const user = await createUser(t);
      expect(await deaf.isLive(callerOf(user))).toBe(true);
      await t.http.post('/api/auth/logout').set(user.auth).expect(204);
      await tick();
      expect(await deaf.isLive(callerOf(user))).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 550));
      expect(await deaf.isLive(callerOf(user))).toBe(false);
    });
  });
});

import * as argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { baseOptions } from '../../src/database/data-source.factory.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { NormalizeUserEmails1763800000650 } from '../../src/database/migrations/1763800000650-normalize-user-emails.js';
import { PgliteDataSource } from '../../src/database/pglite-data-source.js';
import { createUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { provisionRestartableDatabase, type TestDatabase } from '../support/test-database.js';

const PASSWORD = 'correct horse battery staple';

describe('Auth: look-alike emails are one account (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        RATE_LIMIT_REGISTER_PER_HOUR: '1000',
        ADMIN_EMAILS: 'Ｏｐｓ@Example.com',
      },
    });
  });
  afterAll(() => t.close());

  const register = (email: string) => t.http.post('/api/auth/register').send({ email, password: PASSWORD });
  const login = (email: string) => t.http.post('/api/auth/login').send({ email, password: PASSWORD });

  const lookAlikes: Array<[string, (local: string) => string]> = [
    ['upper case', (l) => `${l.toUpperCase()}@X.IO`],
    ['a zero-width space', (l) => `${l.slice(0, 3)}\u200b${l.slice(3)}@x.io`],
    ['a zero-width joiner', (l) => `${l}\u200d@x.io`],
    ['a word joiner', (l) => `\u2060${l}@x.io`],
    ['a byte-order mark', (l) => `${l}@\ufeffx.io`],
    ['a soft hyphen', (l) => `${l.slice(0, 2)}\u00ad${l.slice(2)}@x.io`],
    [
      'full-width letters',
      (l) => `${[...l].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('')}＠ｘ．ｉｏ`,
    ],
  ];

  it.each(lookAlikes)(
    'refuses a look-alike with %s as 409 EMAIL_TAKEN, and signs its owner in with it',
    async (_, spell) => {
      const local = `victim${Math.random().toString(36).slice(2, 8)}`;
      const victim = await register(`${local}@x.io`).expect(201);
      const twin = spell(local);
      expect(twin).not.toBe(`${local}@x.io`);

      const res = await register(twin).expect(409);
      expect(res.body).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });

      const token = (await login(twin).expect(200)).body.access_token as string;
      const me = await t.http.get('/api/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
      expect(me.body).toMatchObject({ id: victim.body.id, email: `${local}@x.io` });
    },
  );

  it('treats a combining accent and its precomposed letter as one address', async () => {
    const first = await register('jose\u0301@x.io').expect(201);
    expect(first.body.email).toBe('jos\u00e9@x.io');
    await register('JOSÉ@x.io').expect(409);
    await login('josé@x.io').expect(200);
  });

  it.each([['"victim"@x.io'], ['"vic tim"@x.io'], ['"vic\\"tim"@x.io']])(
    'refuses the quoted local part %s with 400',
    async (email) => {
      for (const send of [register, login]) {
        const res = await send(email).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(res.body.errors).toContainEqual({ field: 'email', message: expect.stringMatching(/quoted|email/) });
      }
    },
  );

  it('stores and returns the normalized spelling', async () => {
    const res = await register('Ｍｉｘｅｄ\u200bＣａｓｅ@Example.COM').expect(201);
    expect(res.body.email).toBe('mixedcase@example.com');
  });

  it('gives admin rights to the configured address whatever its spelling there', async () => {
    const ops = await createUser(t, { email: 'ops\u200b@example.com' });
    expect((await t.http.get('/api/auth/me').set(ops.auth).expect(200)).body.roles).toEqual(['user', 'admin']);
  });
});

describe('Auth: login throttling counts look-alike spellings as one account (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { RATE_LIMIT_LOGIN_PER_MINUTE: '3', RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '1000' },
    });
  });
  afterAll(() => t.close());

  it('a zero-width character or full-width letters do not open a fresh budget', async () => {
    const victim = await createUser(t);
    const [local, domain] = victim.email.split('@');
    const spellings = [`${local}\u200b@${domain}`, `\ufeff${victim.email}`, `${local}＠${domain}`];
    const statuses: number[] = [];
    // createUser signed in once: 3 a minute leaves two wrong attempts before 429.
    for (const email of spellings) {
      statuses.push((await t.http.post('/api/auth/login').send({ email, password: 'wrong-password' })).status);
    }
    expect(statuses).toEqual([401, 401, 429]);
  });
});

describe('Migration: existing emails are normalized (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionRestartableDatabase();
  });
  afterAll(() => db.drop());

  /** The database as it was before this migration, with rows the old code could have written. */
  async function seedBeforeNormalization(rows: Array<[email: string, createdAt: string]>): Promise<void> {
    const migrations = MIGRATIONS.slice(0, MIGRATIONS.indexOf(NormalizeUserEmails1763800000650));
    const options = { ...baseOptions(), migrations };
    const ds =
      db.kind === 'pglite'
        ? await PgliteDataSource.create(db.env.PGLITE_DIR, options)
        : new DataSource({ ...options, type: 'postgres', url: db.env.DATABASE_URL });
    await ds.initialize();
    try {
      await ds.runMigrations();
      const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id });
      for (const [email, createdAt] of rows) {
        await ds.query(`INSERT INTO users (email, password_hash, created_at) VALUES ($1, $2, $3)`, [
          email,
          hash,
          createdAt,
        ]);
      }
    } finally {
      await ds.destroy();
    }
  }

  it('normalizes every row; in a collision the account already answering to the address keeps it', async () => {
    await seedBeforeNormalization([
      ['holder@x.io', '2026-01-01T00:00:00Z'],
      ['hol\u200bder@x.io', '2026-01-02T00:00:00Z'],
      ['ｆｕｌｌ@x.io', '2026-01-03T00:00:00Z'],
      ['a\u00adb@x.io', '2026-01-05T00:00:00Z'],
      ['a\u200bb@x.io', '2026-01-04T00:00:00Z'],
      ['straße@x.io', '2026-01-06T00:00:00Z'],
      ['strasse@x.io', '2026-01-07T00:00:00Z'],
    ]);
    const t = await startTestApp({ db });
    try {
      const ds = t.app.get(DataSource);
      const byEmail = async (email: string) =>
        ((await ds.query(`SELECT id FROM users WHERE email = $1`, [email])) as Array<{ id: string }>)[0]?.id;
      const byCreated = async (at: string) =>
        (
          (await ds.query(`SELECT id, email FROM users WHERE created_at = $1`, [at])) as Array<{
            id: string;
            email: string;
          }>
        )[0];

      expect(await byEmail('holder@x.io')).toBe((await byCreated('2026-01-01T00:00:00Z')).id);
      expect((await byCreated('2026-01-02T00:00:00Z')).email).toBe('hol\u200bder@x.io');
      expect((await byCreated('2026-01-03T00:00:00Z')).email).toBe('full@x.io');
      // Neither spelled it plainly: the older takes it.
      expect(await byEmail('ab@x.io')).toBe((await byCreated('2026-01-04T00:00:00Z')).id);
      expect((await byCreated('2026-01-05T00:00:00Z')).email).toBe('a\u00adb@x.io');
      // `strasse` already answered to the address: it keeps it although `straße` is older.
      expect(await byEmail('strasse@x.io')).toBe((await byCreated('2026-01-07T00:00:00Z')).id);

      const signIn = (email: string) => t.http.post('/api/auth/login').send({ email, password: PASSWORD });
      await signIn('ＦＵＬＬ@x.io').expect(200);
      const holder = (await signIn('hol\u200bder@x.io').expect(200)).body.access_token as string;
      expect((await t.http.get('/api/auth/me').set('Authorization', `Bearer ${holder}`).expect(200)).body.email).toBe(
        'holder@x.io',
      );
      await t.http.post('/api/auth/register').send({ email: 'Full@x.io', password: PASSWORD }).expect(409);
    } finally {
      await t.close();
    }
  }, 120_000);
});

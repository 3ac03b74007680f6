import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '../support/factories.js';
import { provisionDatabase, type TestDatabase } from '../support/test-database.js';
import { startTestApp } from '../support/test-app.js';

describe('Data survives a restart (e2e)', () => {
  let db: TestDatabase;
  let dir: string | undefined;

  beforeAll(async () => {
    db = await provisionDatabase();
    if (db.kind === 'pglite') {
      dir = await mkdtemp(join(tmpdir(), 'agent-pglite-'));
      db = { ...db, env: { PGLITE_DIR: dir } };
    }
  });
  afterAll(async () => {
    await db.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps users across a stop and start of the app (migrations are idempotent)', async () => {
    const first = await startTestApp({ db });
    const user = await createUser(first);
    await first.close();

    const second = await startTestApp({ db });
    try {
      const login = await second.http
        .post('/api/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(200);
      const me = await second.http
        .get('/api/auth/me')
        .set('Authorization', `Bearer ${login.body.access_token}`)
        .expect(200);
      expect(me.body.id).toBe(user.id);
    } finally {
      await second.close();
    }
  });
});

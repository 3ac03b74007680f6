import { createUser } from '../support/factories.js';
import { provisionRestartableDatabase, type TestDatabase } from '../support/test-database.js';
import { startTestApp } from '../support/test-app.js';

describe('Data survives a restart (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionRestartableDatabase();
  });
  afterAll(() => db.drop());

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

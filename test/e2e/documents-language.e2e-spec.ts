import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { createDocument, search } from '../fixtures/documents/documents.factory.js';
import { createUser } from '../support/factories.js';
import { provisionRestartableDatabase, type TestDatabase } from '../support/test-database.js';
import { startTestApp } from '../support/test-app.js';

describe('Documents: SEARCH_LANGUAGE (e2e)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await provisionRestartableDatabase();
  });
  afterAll(() => db.drop());

  it('defaults to english and refuses a malformed name at configuration time', () => {
    expect(loadConfig({}).searchLanguage).toBe('english');
    expect(() => loadConfig({ SEARCH_LANGUAGE: "english'; drop table users; --" })).toThrow(ConfigError);
    expect(() => loadConfig({ SEARCH_LANGUAGE: "english'; drop table users; --" })).toThrow(
      /^Invalid configuration: SEARCH_LANGUAGE /,
    );
  });

  it('indexes with the configured language, and re-indexes existing passages when it changes', async () => {
    const english = await startTestApp({ db });
    let userEmail: string;
    let password: string;
    try {
      const user = await createUser(english);
      userEmail = user.email;
      password = user.password;
      await createDocument(english, user, 'The receipts were reconciled quickly.', 'Receipts');
      // english stems (receipt ~ receipts) and drops stop words (the).
      expect((await search(english, user, 'receipt').expect(200)).body).toHaveLength(1);
      expect((await search(english, user, 'the').expect(200)).body).toEqual([]);
    } finally {
      await english.close();
    }

    const simple = await startTestApp({ db, env: { SEARCH_LANGUAGE: 'simple' } });
    try {
      const login = await simple.http.post('/api/auth/login').send({ email: userEmail, password }).expect(200);
      const user = { auth: { Authorization: `Bearer ${login.body.access_token}` } } as never;
      const configs = await simple.app
        .get(DataSource)
        .query(`SELECT DISTINCT search_config::text AS config FROM document_chunks`);
      expect(configs).toEqual([{ config: 'simple' }]);
      // simple neither stems nor drops stop words.
      expect((await search(simple, user, 'receipt').expect(200)).body).toEqual([]);
      expect((await search(simple, user, 'receipts').expect(200)).body).toHaveLength(1);
      expect((await search(simple, user, 'the').expect(200)).body).toHaveLength(1);
    } finally {
      await simple.close();
    }
  });
});

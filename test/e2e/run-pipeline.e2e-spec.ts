import { DataSource } from 'typeorm';
import { ChatRepository } from '../../src/chat/chat.repository.js';
import { startChatApp } from '../support/chat-app.js';
import { createUser, type TestUser } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';
import { ask } from '../support/sse.js';

/** The run pipeline's accept and commit steps against the real database, with a concurrent writer between them. */
describe('Run pipeline: accept and commit (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;
  let alice: TestUser;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '1000' }));
    alice = await createUser(t);
  });
  afterAll(() => close());

  it('a message landing between the history read and the commit refuses the run: 409 CONVERSATION_CHANGED', async () => {
    const first = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[say:one]]', { stream: false }))
      .expect(200);
    const conversationId = first.body.conversation_id as string;
    const repo = t.app.get(ChatRepository);
    const read = repo.findConversationHistory.bind(repo);
    const db = t.app.get(DataSource);
    // Another writer adds a message right after this request read the history.
    jest.spyOn(repo, 'findConversationHistory').mockImplementationOnce(async (...args) => {
      const history = await read(...args);
      await db.query(
        `INSERT INTO messages (conversation_id, user_id, role, content, status)
         VALUES ($1, $2, 'user', '[{"type":"text","text":"meanwhile"}]', 'completed')`,
        [conversationId, alice.id],
      );
      return history;
    });
    const refused = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[say:two]]', { conversation_id: conversationId, stream: false }))
      .expect(409);
    expect(refused.body.code).toBe('CONVERSATION_CHANGED');
    const history = (await t.http.get(`/api/chat/${conversationId}/history`).set(alice.auth).expect(200)).body;
    expect(history.map((m: { content: string }) => m.content)).toEqual(['[[say:one]]', 'one', 'meanwhile']);
    // Sent again, it is stored against the new history.
    const again = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send(ask('[[say:two]]', { conversation_id: conversationId, stream: false }))
      .expect(200);
    expect(again.body).toMatchObject({ status: 'completed', message: { content: 'two' } });
  });
});

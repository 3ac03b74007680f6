import { startChatApp } from '../support/chat-app.js';
import { createUser } from '../support/factories.js';
import type { TestApp } from '../support/test-app.js';

describe('Chat rate limit per user (e2e)', () => {
  let t: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startChatApp({ RATE_LIMIT_CHAT_PER_MINUTE: '3' }));
  });
  afterAll(() => close());

  it('answers 429 with Retry-After once a user exceeds RATE_LIMIT_CHAT_PER_MINUTE; other users are unaffected', async () => {
    const [alice, bob] = [await createUser(t), await createUser(t)];
    const send = (auth: Record<string, string>) =>
      t.http
        .post('/api/chat')
        .set(auth)
        .send({ messages: [{ role: 'user', content: 'hi' }], stream: false });
    for (let i = 0; i < 3; i++) await send(alice.auth).expect(200);
    const limited = await send(alice.auth).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    await send(bob.auth).expect(200);
    // Reading history is not a chat turn: still allowed for the limited user.
    await t.http.get('/api/conversations').set(alice.auth).expect(200);
  });
});

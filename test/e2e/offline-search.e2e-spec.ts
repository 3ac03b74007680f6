import { createDocument } from '../fixtures/documents/documents.factory.js';
import { createUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('The offline provider answers a natural question from the caller’s documents (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('"What does my onboarding guide say about VPN access?" finds the VPN passage first', async () => {
    const alice = await createUser(t);
    await createDocument(
      t,
      alice,
      '# Welcome\n\nYour manager plans your first week with you.\n\n' +
        '# VPN\n\nVPN access is granted by IT after your first login: install the client from the self-service portal.\n\n' +
        '# Lunch\n\nThe canteen opens at noon on the ground floor.',
      'Onboarding guide',
    );
    await createDocument(t, alice, 'Expense reports are due on the fifth of each month.', 'Finance FAQ');

    const res = await t.http
      .post('/api/chat')
      .set(alice.auth)
      .send({
        messages: [{ role: 'user', content: 'What does my onboarding guide say about VPN access?' }],
        stream: false,
      })
      .expect(200);
    expect(res.body.status).toBe('completed');
    const [call] = res.body.tool_calls;
    expect(call.result.total).toBeGreaterThan(0);
    expect(call.result.results[0].text).toContain('VPN access is granted by IT');
    expect(res.body.message.content).toContain('1. Onboarding guide\n');
    expect(res.body.message.content).toContain('install the client from the self-service portal');
    expect(res.body.message.content).not.toContain('Expense reports');
  });
});

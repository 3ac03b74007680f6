import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

/** Registers and logs in a fresh user through the public API. */
export async function createUser(t: TestApp, overrides: { email?: string; password?: string } = {}): Promise<TestUser> {
  const email = overrides.email ?? `user-${randomUUID()}@example.com`;
  const password = overrides.password ?? 'correct horse battery staple';
  const reg = await t.http.post('/api/auth/register').send({ email, password }).expect(201);
  const login = await t.http.post('/api/auth/login').send({ email, password }).expect(200);
  const token = login.body.access_token as string;
  return { id: reg.body.id, email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

// The few API calls scenarios make to set up and check their load (the load itself is autocannon or SSE).

import { Agent, get as httpGet } from 'node:http';
import { loginOver } from '../test/support/server-process.js';

export interface BenchUser {
  email: string;
  token: string;
}

export interface DocumentBody {
  id: string;
  chunk_count: number;
  size_bytes: number;
  mime_type: string;
}

const PASSWORD = 'bench-password-123';

async function call<T>(url: string, init: RequestInit, expect: number[]): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!expect.includes(res.status)) {
    throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname} -> ${res.status}: ${text.slice(0, 300)}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Registers and logs in a user through the API, as a client would. */
export async function createUser(appUrl: string, email: string): Promise<BenchUser> {
  return { email, token: await loginOver(appUrl, { email, password: PASSWORD }) };
}

/** `count` users named after the scenario; created a few at a time (argon2 hashes on a 4-thread pool). */
export async function createUsers(appUrl: string, scenario: string, count: number): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) =>
      createUser(appUrl, `${scenario}-${i + j}-${Date.now()}@bench.example.com`),
    );
    users.push(...(await Promise.all(batch)));
  }
  return users;
}

export const auth = (user: BenchUser) => ({ authorization: `Bearer ${user.token}` });

/** A JSON POST as `user`; throws (with the answer) on any status but `expect`. */
export function postAs<T = unknown>(user: BenchUser, url: string, body: unknown, expect: number): Promise<T> {
  const headers = { ...auth(user), 'content-type': 'application/json' };
  return call(url, { method: 'POST', headers, body: JSON.stringify(body) }, [expect]);
}

export function uploadText(appUrl: string, user: BenchUser, title: string, content: string): Promise<DocumentBody> {
  return postAs(user, `${appUrl}/api/documents`, { title, content }, 201);
}

/** A multipart upload of a file's bytes, the way a browser form or `curl -F file=@…` sends it. */
export function uploadFile(
  appUrl: string,
  user: BenchUser,
  bytes: Uint8Array,
  filename: string,
  contentType: string,
): Promise<DocumentBody> {
  const form = new FormData();
  form.set('file', new Blob([bytes], { type: contentType }), filename);
  return call(`${appUrl}/api/documents`, { method: 'POST', headers: auth(user), body: form }, [201]);
}

export function search(
  appUrl: string,
  user: BenchUser,
  q: string,
  limit = 10,
): Promise<Array<{ document_id: string }>> {
  const url = `${appUrl}/api/documents/search?${new URLSearchParams({ q, limit: String(limit) })}`;
  return call(url, { headers: auth(user) }, [200]);
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * A GET timed with node:http on a kept-alive connection (lighter than fetch, so the client adds little to a
 * millisecond-scale latency). Resolves with the status and the elapsed time; the body is read and dropped.
 */
export function timedGet(
  url: string,
  headers: Record<string, string>,
  agent: Agent = keepAlive,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export function closeTimedGetConnections(): void {
  keepAlive.destroy();
}

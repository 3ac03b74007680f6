import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUser } from '../support/factories.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** A client on a raw socket that sends what it is told, when it is told: the only way to be slow on purpose. */
class RawClient {
  readonly socket: Socket;
  private data = '';
  private readonly started = Date.now();
  /** Milliseconds from connect to the server closing the connection. */
  readonly closedAfter: Promise<number>;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => (this.data += chunk));
    this.socket.on('error', () => undefined);
    this.closedAfter = new Promise((resolve) => this.socket.once('close', () => resolve(Date.now() - this.started)));
  }

  get received(): string {
    return this.data;
  }

  get open(): boolean {
    return !this.socket.destroyed;
  }

  write(text: string): void {
    if (this.open) this.socket.write(text);
  }

  /** Sends `text` in pieces of `size` characters, one every `everyMs`, while the connection is open. */
  async trickle(text: string, size: number, everyMs: number): Promise<void> {
    for (let i = 0; i < text.length && this.open; i += size) {
      this.write(text.slice(i, i + size));
      await sleep(everyMs);
    }
  }

  /** Resolves once `predicate` holds for what was received (or fails after `timeoutMs`). */
  async until(predicate: (received: string) => boolean, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.data)) {
      if (Date.now() > deadline) throw new Error(`timed out; received: ${this.data.slice(0, 300)}`);
      await sleep(20);
    }
    return this.data;
  }

  close(): void {
    this.socket.destroy();
  }
}

const head = (method: string, path: string, headers: Record<string, string | number> = {}) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

describe('Security: slow clients (e2e, real sockets)', () => {
  describe('with the default timeouts', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('ends 20 bodies sent a byte every 5 s and a slowloris on headers, while others are served', async () => {
      const bodies = Array.from({ length: 20 }, () => new RawClient(t.url));
      for (const c of bodies) {
        c.write(head('POST', '/api/auth/login', { 'Content-Type': 'application/json', 'Content-Length': 100 }));
      }
      const headers = new RawClient(t.url);
      headers.write('POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\n');
      const trickling = [
        ...bodies.map((c) => c.trickle('{"email": "victim@example.com", "password": "x"'.padEnd(100), 1, 5_000)),
        headers.trickle('X-Slow: ' + 'a'.repeat(100), 1, 5_000),
      ];
      try {
        // The issue saw all 20 still open at 70 s.
        const bodyClosed = await Promise.race([Promise.all(bodies.map((c) => c.closedAfter)), sleep(30_000)]);
        expect(bodyClosed).toEqual(expect.any(Array));
        // Cut after a window or two of HTTP_BODY_TIMEOUT_MS (10 s) without 1 KiB/s.
        for (const ms of bodyClosed as number[]) expect(ms).toBeLessThan(21_000);
        await t.http.get('/health').expect(200);
        // HTTP_HEADERS_TIMEOUT_MS (20 s), checked every 5 s.
        const headersClosed = await Promise.race([headers.closedAfter, sleep(15_000).then(() => 'open')]);
        expect(headersClosed).toEqual(expect.any(Number));
        expect(headers.received).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        for (const c of [...bodies, headers]) c.close();
        await Promise.all(trickling);
      }
    }, 60_000);
  });

  describe('with short timeouts (the same rules, scaled down)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: {
          HTTP_HEADERS_TIMEOUT_MS: '1000',
          HTTP_REQUEST_TIMEOUT_MS: '4000',
          HTTP_BODY_TIMEOUT_MS: '500',
          HTTP_BODY_MIN_BYTES_PER_SECOND: '2048',
        },
      });
    });
    afterAll(() => t.close());

    it('lets a slow but steady upload finish', async () => {
      const user = await createUser(t);
      const body = JSON.stringify({ title: 'Slow', content: 'steady words '.repeat(800) });
      const client = new RawClient(t.url);
      try {
        client.write(
          head('POST', '/api/documents', {
            Authorization: user.auth.Authorization,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          }),
        );
        // About 4 KiB/s, twice the floor, for about 2.5 s: longer than a window, shorter than the request limit.
        await client.trickle(body, 1024, 250);
        await client.until((r) => r.includes('\r\n\r\n{'));
        expect(client.received).toMatch(/^HTTP\/1\.1 201 /);
      } finally {
        client.close();
      }
    });

    it('cuts a body below the floor within a window or two', async () => {
      const client = new RawClient(t.url);
      try {
        client.write(head('POST', '/api/auth/login', { 'Content-Type': 'application/json', 'Content-Length': 4000 }));
        void client.trickle('x'.repeat(4000), 128, 250);
        expect(await client.closedAfter).toBeLessThan(1_600);
      } finally {
        client.close();
      }
    });

    it('answers 408 to a body fast enough per window but longer than the whole-request limit', async () => {
      const client = new RawClient(t.url);
      try {
        client.write(head('POST', '/api/auth/login', { 'Content-Type': 'application/json', 'Content-Length': 40_000 }));
        void client.trickle('x'.repeat(40_000), 1024, 250);
        const closedAfter = await client.closedAfter;
        expect(closedAfter).toBeGreaterThanOrEqual(4_000);
        expect(closedAfter).toBeLessThan(5_500);
        expect(client.received).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        client.close();
      }
    });

    it('keeps an idle kept-alive connection past the header limit: only a request in progress is timed', async () => {
      const client = new RawClient(t.url);
      try {
        client.write(head('GET', '/health'));
        await client.until((r) => r.endsWith('{"status":"ok"}'));
        await sleep(1_500);
        expect(client.open).toBe(true);
        client.write(head('GET', '/health'));
        await client.until((r) => r.split('HTTP/1.1 200').length === 3);
      } finally {
        client.close();
      }
    });
  });
});

// The baselines: a bare Express app answering what the app's liveness route answers; and a bare relay, the least any
// Node service between a client and the model does: `POST /relay` opens an SSE response with a ping timer, sends
// one request to the model with undici (the HTTP client the app gives the Anthropic SDK) and passes the model's
// bytes through unparsed, aborting upstream when the client leaves. No auth, no validation, no database, no SDK.
// With a PostgreSQL database, also `GET /documents`: the app's documents list query for the user named in
// `x-user-id`, mapped to the same JSON, on a pg pool of the app's default size: no auth, no framework.
import express from 'express';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { Agent } from 'undici';
import { serveAsChild } from './serve-as-child.js';

/** A full GC (the inspector's `HeapProfiler.collectGarbage`); resolves with the JS heap in use afterwards (KB). */
async function collectGarbage(): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.collectGarbage');
    return process.memoryUsage().heapUsed / 1024;
  } finally {
    session.disconnect();
  }
}

serveAsChild(async (args) => {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const model = new URL(String(args.llmUrl));
  const pingMs = Number(args.pingMs);
  const upstream = new Agent();
  app.post('/relay', express.json(), (req, res) => {
    const prompt = typeof req.body?.prompt === 'string' ? req.body.prompt : '[[hang]]';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const ping = setInterval(() => res.write(': ping\n\n'), pingMs);
    const leave = new AbortController();
    res.on('close', () => {
      clearInterval(ping);
      leave.abort();
    });
    void (async () => {
      const answer = await upstream.request({
        origin: model.origin,
        path: '/v1/messages',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: prompt }] }),
        signal: leave.signal,
      });
      for await (const chunk of answer.body) res.write(chunk);
      res.end();
    })().catch(() => res.destroy());
  });
  const pool = args.databaseUrl ? new Pool({ connectionString: String(args.databaseUrl), max: 10 }) : undefined;
  if (pool) {
    app.get('/documents', (req, res, next) => {
      pool
        .query<{
          id: string;
          title: string;
          mime_type: string;
          size_bytes: number;
          chunk_count: number;
          status: string;
          created_at: Date;
        }>(
          `SELECT id, title, mime_type, size_bytes, chunk_count, status, created_at FROM documents WHERE user_id = $1
           ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
          [req.header('x-user-id'), 20, 0],
        )
        .then(({ rows }) => res.json(rows.map((d) => ({ ...d, created_at: d.created_at.toISOString() }))), next);
    });
  }
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: {
      // The same full GC the bench asks of the app over its inspector, here through an in-process session.
      gc: () => collectGarbage(),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        void upstream.destroy();
        void pool?.end();
      }),
  };
});

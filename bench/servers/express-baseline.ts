// The baselines: a bare Express app answering what the app's liveness route answers; a bare relay, the least any
// Node service between a client and the model does: `POST /relay` opens an SSE response with a ping timer, sends
// one request to the model with undici (the HTTP client the app gives the Anthropic SDK) and passes the model's
// bytes through unparsed, aborting upstream when the client leaves (no auth, no validation, no database, no SDK);
// and an SDK relay, `POST /sdk-relay`: the same, but the model is read through the Anthropic SDK on the app's
// ModelHttpClient and each event written back as SSE, which is the least a service that reads the model through
// the SDK (as this one must) does per stream.
// With a PostgreSQL database, also `GET /prebuilt/documents`: the app's documents list query (prepared) for the user
// named in `x-user-id`, mapped to the same JSON, on a pg pool of the app's default size: no auth, no framework, on
// Express objects made by Node as the app's server makes them.
// First, as in the app's main.ts: the floor runs with the V8 settings the app runs with.
import '../../src/v8-flags.js';
import express from 'express';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { Agent } from 'undici';
import Anthropic from '@anthropic-ai/sdk';
import { ModelHttpClient } from '../../src/agents/llm/model-http-client.js';
import { expressMessageClasses } from '../../src/common/http/express-http-adapter.js';
import type { DocumentResponseDto } from '../../src/documents/dto/document-response.dto.js';

/** A documents row as pg returns it: the app's response fields, with the timestamp still a Date. */
type DocumentRow = Omit<DocumentResponseDto, 'created_at'> & { created_at: Date };
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

/**
 * `POST {prompt}`: an SSE response with a ping timer, fed by `relay` until the model's answer ends; the client
 * leaving aborts it (and with it the model request).
 */
function sseRelay(
  pingMs: number,
  relay: (prompt: string, signal: AbortSignal, write: (chunk: string | Uint8Array) => void) => Promise<void>,
): express.RequestHandler {
  return (req, res) => {
    const prompt = typeof req.body?.prompt === 'string' ? req.body.prompt : '[[hang]]';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const ping = setInterval(() => res.write(': ping\n\n'), pingMs);
    const leave = new AbortController();
    res.on('close', () => {
      clearInterval(ping);
      leave.abort();
    });
    relay(prompt, leave.signal, (chunk) => res.write(chunk)).then(
      () => res.end(),
      () => res.destroy(),
    );
  };
}

serveAsChild(async (args) => {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const model = new URL(String(args.llmUrl));
  const pingMs = Number(args.pingMs);
  const upstream = new Agent();
  const modelHttp = new ModelHttpClient();
  const sdk = new Anthropic({ apiKey: 'bench', baseURL: model.origin, maxRetries: 0, fetch: modelHttp.fetch });
  const body = (prompt: string) => ({
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    stream: true as const,
    messages: [{ role: 'user' as const, content: prompt }],
  });
  // Bytes passed through unparsed.
  app.post(
    '/relay',
    express.json(),
    sseRelay(pingMs, async (prompt, signal, write) => {
      const answer = await upstream.request({
        origin: model.origin,
        path: '/v1/messages',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(prompt)),
        signal,
      });
      for await (const chunk of answer.body) write(chunk);
    }),
  );
  // Through the SDK, as the app reads the model: each event parsed and written back as the same SSE event.
  app.post(
    '/sdk-relay',
    express.json(),
    sseRelay(pingMs, async (prompt, signal, write) => {
      const stream = await sdk.messages.create(body(prompt), { signal });
      for await (const event of stream) write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }),
  );
  // `GET /prebuilt/health`: the same answer from an Express app whose requests and responses Node makes as Express
  // objects from the start, as the app's server does (src/common/http/express-http-adapter.ts); every other path
  // goes to the stock app above, which switches their prototype per request as stock Express does.
  const prebuilt = express();
  prebuilt.get('/prebuilt/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // `GET /prebuilt/documents` (PostgreSQL only): on the same Express objects, so that the floor is not slower than
  // the app for the HTTP layer alone.
  const pool = args.databaseUrl ? new Pool({ connectionString: String(args.databaseUrl), max: 10 }) : undefined;
  if (pool) {
    prebuilt.get('/prebuilt/documents', (req, res, next) => {
      // Prepared, as the app's list is: the least this read costs.
      pool
        .query<DocumentRow>({
          name: 'bare_list',
          text: `SELECT id, title, mime_type, size_bytes, chunk_count, status, created_at FROM documents
                 WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
          values: [req.header('x-user-id'), 20, 0],
        })
        .then(({ rows }) => res.json(rows.map((d) => ({ ...d, created_at: d.created_at.toISOString() }))), next);
    });
  }
  const server = createServer(expressMessageClasses(prebuilt), (req, res) =>
    req.url?.startsWith('/prebuilt/') ? prebuilt(req, res) : app(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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
        void modelHttp.close();
        void pool?.end();
      }),
  };
});

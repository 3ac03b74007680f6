// The baselines: a bare Express app answering what the app's liveness route answers; and, for idle streams, the
// least a relay can hold per stream: an SSE response with a ping timer and one pending `fetch` (Node's undici, the
// HTTP client the Anthropic SDK uses) to the model, aborted when the client leaves.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { serveAsChild } from './serve-as-child.js';

serveAsChild(async (args) => {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const modelUrl = new URL('/v1/messages', String(args.llmUrl));
  const pingMs = Number(args.pingMs);
  app.post('/relay', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const ping = setInterval(() => res.write(': ping\n\n'), pingMs);
    const upstream = new AbortController();
    res.on('close', () => {
      clearInterval(ping);
      upstream.abort();
    });
    void (async () => {
      const answer = await fetch(modelUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stream: true, messages: [{ role: 'user', content: '[[hang]]' }] }),
        signal: upstream.signal,
      });
      for await (const chunk of answer.body ?? []) res.write(chunk);
    })().catch(() => res.destroy());
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: {},
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});

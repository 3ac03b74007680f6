// The REST baseline: a bare Express app answering what the app's liveness route answers, in a process of its own,
// so the app's `GET /health` throughput is read against a floor measured on the same machine in the same run.
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveAsChild } from './serve-as-child.js';

serveAsChild(async () => {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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

import type { Express } from 'express';
import { once } from 'node:events';
import { createServer, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Serves `app` on a random loopback port while `use` runs, then closes the server and every open connection. */
export async function withExpressServer<T>(
  app: Express,
  use: (url: string) => Promise<T>,
  options: ServerOptions = {},
): Promise<T> {
  const server = createServer(options, app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    return await use(`http://127.0.0.1:${port}`);
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

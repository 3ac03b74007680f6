import { createServer, IncomingMessage, ServerResponse, type ServerOptions } from 'node:http';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';

/**
 * Nest's Express adapter, with requests and responses made by Node as Express's own objects from the start.
 *
 * Express gives each request and response its methods by changing its prototype (`Object.setPrototypeOf` in
 * `app.handle`). V8 then detaches the object's hidden class from the shared tree: every property Express, Nest and
 * Node add afterwards (`locals`, `params`, `statusCode`, `next`…) makes a new hidden class for that one object, so
 * each request builds about a dozen classes and every property access on a request or response misses the inline
 * caches (expressjs/express#5998, nodejs/node#37457). Made by Node's server with classes whose prototype already is
 * `app.request` / `app.response`, the objects keep shared classes and Express's `setPrototypeOf` is a no-op (same
 * prototype). Measured with the bench and heap snapshots: see BENCHMARKS.md.
 */
export class ExpressHttpAdapter extends ExpressAdapter {
  /** `serverOptions`: Node's own server options (timeouts), for the server made here. */
  constructor(
    private readonly serverOptions: Pick<
      ServerOptions,
      'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'
    > = {},
  ) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    // Options this service does not use keep Nest's own server set-up.
    if (options?.httpsOptions || options?.forceCloseConnections || options?.return503OnClosing) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<Express>();
    this.setHttpServer(createServer({ ...expressMessageClasses(app), ...this.serverOptions }, app));
  }
}

/**
 * Request and response classes whose instances have `app.request` / `app.response` (and so everything Express
 * adds, `app` included) on their prototype chain; the app's prototypes become these classes' prototypes so that
 * Express's per-request `setPrototypeOf` finds them already in place.
 */
export function expressMessageClasses(app: Express): {
  IncomingMessage: typeof IncomingMessage;
  ServerResponse: typeof ServerResponse;
} {
  class ExpressRequest extends IncomingMessage {}
  class ExpressResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}
  Object.setPrototypeOf(ExpressRequest.prototype, app.request);
  Object.setPrototypeOf(ExpressResponse.prototype, app.response);
  app.request = ExpressRequest.prototype as Express['request'];
  app.response = ExpressResponse.prototype as Express['response'];
  return { IncomingMessage: ExpressRequest, ServerResponse: ExpressResponse };
}

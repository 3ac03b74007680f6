import { IncomingMessage, ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express, Request, Response } from 'express';
import { withExpressServer } from '../../../test/support/express-server.js';
import { expressMessageClasses } from './express-http-adapter.js';

// V8's own answer to "do these two objects have the same hidden class", through its natives syntax (test only).
setFlagsFromString('--allow-natives-syntax');
const haveSameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;

/**
 * Serves `app` (one route that keeps its request and response and answers with Express's own methods) and asks
 * it `count` times one after another; returns what the route saw.
 */
async function serveAndCall(app: Express, count: number, useClasses: boolean) {
  const seen: Array<{ req: Request; res: Response }> = [];
  // A middleware layer, as the app has: Express and its router add properties to both objects on the way.
  app.use((_req, res, next) => {
    res.locals.seen = true;
    next();
  });
  app.get('/items/:id', (req, res) => {
    seen.push({ req, res });
    res.status(201).json({ id: req.params.id, host: req.get('host') === undefined ? 'none' : 'some' });
  });
  const classes = useClasses ? expressMessageClasses(app) : {};
  const bodies: unknown[] = [];
  await withExpressServer(
    app,
    async (url) => {
      for (let i = 0; i < count; i++) {
        const res = await fetch(`${url}/items/${i}`, { signal: AbortSignal.timeout(5_000) });
        expect(res.status).toBe(201);
        bodies.push(await res.json());
      }
    },
    classes,
  );
  return { seen, bodies };
}

describe('expressMessageClasses (requests and responses made as Express objects by Node)', () => {
  it('makes requests and responses that already are Express objects, so Express never changes their prototype', async () => {
    const app = new ExpressAdapter().getInstance<Express>();
    const { seen, bodies } = await serveAndCall(app, 3, true);

    expect(bodies).toEqual([0, 1, 2].map((i) => ({ id: String(i), host: 'some' })));
    for (const { req, res } of seen) {
      expect(Object.getPrototypeOf(req)).toBe(app.request);
      expect(Object.getPrototypeOf(res)).toBe(app.response);
      expect([req instanceof IncomingMessage, res instanceof ServerResponse]).toEqual([true, true]);
      expect([req.app, res.app]).toEqual([app, app]);
    }
  });

  it('keeps one hidden class for every request and one for every response', async () => {
    const app = new ExpressAdapter().getInstance<Express>();
    const { seen } = await serveAndCall(app, 20, true);
    const [a, b] = seen.slice(-2);
    expect(haveSameShape(a.req, b.req)).toBe(true);
    expect(haveSameShape(a.res, b.res)).toBe(true);
  });

  it('is needed: with the server default classes, Express gives each request and response a class of its own', async () => {
    // If a Node or Express release stops doing this, the adapter has become unnecessary.
    const app = new ExpressAdapter().getInstance<Express>();
    const { seen } = await serveAndCall(app, 20, false);
    const [a, b] = seen.slice(-2);
    expect(haveSameShape(a.req, b.req)).toBe(false);
    expect(haveSameShape(a.res, b.res)).toBe(false);
  });
});

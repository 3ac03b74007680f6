import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { join } from 'node:path';

/** The page's files, copied next to the compiled code by nest-cli's assets. */
const PUBLIC_DIR = join(__dirname, 'public');
const NO_CACHE = { 'Cache-Control': 'no-cache' };

/**
 * `/playground`: a page a person can use with nothing but a browser (register, upload, chat). Plain files served as
 * they are, like Swagger UI's: nothing is fetched from elsewhere at run time, so it works offline and under the
 * API's CSP (`'self'` only). Everything it does goes through the public API.
 */
export function setupPlayground(app: NestExpressApplication): void {
  app.use(
    '/playground',
    express.static(PUBLIC_DIR, {
      // The page is `/playground` itself (below), not a directory listing's index; its files are named in it.
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => res.set(NO_CACHE),
    }),
    (req: Request, res: Response, next: NextFunction) => {
      if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
      res.sendFile(join(PUBLIC_DIR, 'index.html'), { headers: NO_CACHE });
    },
  );
}

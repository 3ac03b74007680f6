import type { Request } from 'express';
import type { Caller } from '../auth/caller.js';

/** What our middleware and guards attach to the Express request. */
export interface AppRequest extends Request {
  id: string;
  user?: Caller;
}

export function requestIdOf(req: Request): string {
  return (req as AppRequest).id ?? 'unknown';
}

/** The path the client asked for, without the query string (which may carry search terms). */
export function instanceOf(req: Request): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

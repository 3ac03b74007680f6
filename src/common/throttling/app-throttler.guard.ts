import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AppRequest } from '../http/request-context.js';
import { chatLimitKey } from './run-start-limiter.js';

/** Keys limits on the user id when the JWT guard (which runs first) authenticated the caller, else on the address. */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as AppRequest;
    return r.user ? `user:${r.user.id}` : `ip:${String(r.ip)}`;
  }

  /**
   * The library's key, unhashed: it SHA-256es the same parts, which bounds the key's length for a remote store but
   * costs a hash object and a hex digest per throttler per request. Ours lives in this process's memory (a user id
   * or an address, a route's class and method names), where plain text is as good a key and readable when debugging.
   */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    // The chat limit counts run starts wherever they come from (every chat route, WebSocket, tasks): one key.
    if (name === 'chat') return chatLimitKey(tracker);
    return `${name}|${context.getClass().name}.${context.getHandler().name}|${tracker}`;
  }
}

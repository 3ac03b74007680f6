import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AppRequest } from '../http/request-context.js';

/** Keys limits on the user id when the JWT guard (which runs first) authenticated the caller, else on the address. */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as AppRequest;
    return r.user ? `user:${r.user.id}` : `ip:${String(r.ip)}`;
  }
}

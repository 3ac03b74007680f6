import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config.js';
import type { AppRequest } from '../http/request-context.js';
import { outsideGroup } from './throttle-group.decorator.js';

const MINUTE = 60_000;

/** `req.ip` is the socket address unless TRUST_PROXY is configured, so a forged X-Forwarded-For changes nothing. */
const byAddress = (req: Record<string, unknown>) => Promise.resolve(`ip:${String((req as unknown as AppRequest).ip)}`);

const byAccount = (req: Record<string, unknown>) => {
  const email = (req as unknown as AppRequest).body?.email;
  return Promise.resolve(`account:${typeof email === 'string' ? email.trim().toLowerCase() : '-'}`);
};

export function throttlerOptions(config: AppConfig, storage: ThrottlerStorage): ThrottlerModuleOptions {
  return {
    storage,
    throttlers: [
      { name: 'default', ttl: MINUTE, limit: config.rateLimit.defaultPerMinute },
      {
        name: 'login-address',
        ttl: MINUTE,
        limit: config.rateLimit.loginPerAddressPerMinute,
        skipIf: outsideGroup('login'),
        getTracker: byAddress,
      },
      {
        name: 'login-account',
        ttl: MINUTE,
        limit: config.rateLimit.loginPerMinute,
        skipIf: outsideGroup('login'),
        getTracker: byAccount,
      },
      { name: 'chat', ttl: MINUTE, limit: config.rateLimit.chatPerMinute, skipIf: outsideGroup('chat') },
    ],
  };
}

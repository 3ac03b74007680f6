import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import { normalizeEmail } from '../validation/email-address.js';
import type { AppConfig } from '../../config/app-config.js';
import type { AppRequest } from '../http/request-context.js';
import { outsideGroup } from './throttle-group.decorator.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `req.ip` is the socket address unless TRUST_PROXY is configured, so a forged X-Forwarded-For changes nothing. */
const byAddress = (req: Record<string, unknown>) => Promise.resolve(`ip:${String((req as unknown as AppRequest).ip)}`);

/**
 * The account a credential check is about: the caller's, on a route that checks a password of a signed-in user
 * (password change); else the email given, where look-alike spellings (case, invisible characters, full-width
 * letters) are one account.
 */
const byAccount = (req: Record<string, unknown>) => {
  const { user, body } = req as unknown as AppRequest;
  if (user) return Promise.resolve(`user:${user.id}`);
  const email = body?.email;
  return Promise.resolve(`account:${typeof email === 'string' ? normalizeEmail(email.slice(0, 1024)) : '-'}`);
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
      {
        // One address cannot mint accounts to multiply the per-user limits (120 in 3.3 s, before).
        name: 'register-address',
        ttl: HOUR,
        limit: config.rateLimit.registerPerHour,
        skipIf: outsideGroup('register'),
        getTracker: byAddress,
      },
      { name: 'chat', ttl: MINUTE, limit: config.rateLimit.chatPerMinute, skipIf: outsideGroup('chat') },
    ],
  };
}

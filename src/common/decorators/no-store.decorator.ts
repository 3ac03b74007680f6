import { applyDecorators, Header } from '@nestjs/common';

/**
 * For a response that carries a credential (an access token): no cache, shared or private, may keep it, and
 * HTTP/1.0 caches are told the same with `Pragma` (RFC 6749 §5.1).
 */
export function NoStore() {
  return applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));
}

import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import type { AuthUser } from '../auth/auth-user.js';
import { JwtStrategy } from '../auth/strategies/jwt.strategy.js';

/** The subprotocol the server speaks; a browser sends its token as a second one, `bearer.<token>`. */
export const WS_PROTOCOL = 'agent-backend.v1';
const BEARER_PROTOCOL = 'bearer.';

/** The request of an accepted upgrade carries the user its token authenticated. */
export interface AuthenticatedUpgrade extends IncomingMessage {
  user?: AuthUser;
}

/** The bearer token of an upgrade request: the Authorization header, else the `bearer.<token>` subprotocol. */
export function upgradeToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header) return header;
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL));
  return bearer ? `Bearer ${bearer.slice(BEARER_PROTOCOL.length)}` : undefined;
}

/**
 * Nest's `ws` adapter, with the handshake authenticated before the upgrade: a missing, invalid or revoked token is
 * answered 401 and no WebSocket is opened. The server selects `agent-backend.v1` when the client offers it (a
 * browser must, to send its token as a subprotocol).
 */
export class AuthenticatingWsAdapter extends WsAdapter {
  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> & { path?: string }) {
    const strategy = this.app.get(JwtStrategy, { strict: false });
    return super.create(port, {
      ...options,
      verifyClient: (
        info: { req: AuthenticatedUpgrade },
        done: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void,
      ) => {
        strategy.authenticate(upgradeToken(info.req)).then(
          (user) => {
            if (!user) return done(false, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
            info.req.user = user;
            done(true);
          },
          () => done(false, 503, 'Service Unavailable'),
        );
      },
      handleProtocols: (protocols: Set<string>) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
  }
}

import { Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { WebSocket, WebSocketServer as WsServer } from 'ws';
import { ConversationFeed } from '../chat/conversation-feed.js';
import { RunPipeline } from '../chat/runs/run-pipeline.js';
import { RunsService } from '../chat/runs/runs.service.js';
import { RunStartLimiter } from '../common/throttling/run-start-limiter.js';
import { AppValidationPipe } from '../common/validation/app-validation.pipe.js';
import { AppConfig } from '../config/app-config.js';
import { RunControl } from '../runs/run-control.js';
import type { AuthenticatedUpgrade } from './ws-auth.adapter.js';
import { WsSession, type SessionServices } from './ws-session.js';

/** Frames over this size close the connection with 1009 (`ws` enforces it before a frame is read). */
export const WS_MAX_FRAME_BYTES = 64 * 1024;

type Client = WebSocket & { session?: WsSession; alive?: boolean };

/**
 * `GET /ws/chat`: interactive chat over one WebSocket. Authenticated at the handshake (AuthenticatingWsAdapter);
 * each connection gets a WsSession for its frames. Every WS_PING_MS the server pings every connection and drops
 * the ones that did not answer the previous ping (dead peers behind a silent network).
 */
@WebSocketGateway({ path: '/ws/chat', maxPayload: WS_MAX_FRAME_BYTES })
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnModuleDestroy {
  private readonly logger = new Logger('WebSocket');
  private readonly services: SessionServices;
  private heartbeat?: NodeJS.Timeout;

  @WebSocketServer() server: WsServer;

  constructor(
    pipeline: RunPipeline,
    runs: RunsService,
    control: RunControl,
    conversations: ConversationFeed,
    limiter: RunStartLimiter,
    private readonly config: AppConfig,
  ) {
    this.services = { pipeline, runs, control, conversations, limiter, validation: new AppValidationPipe() };
  }

  afterInit(server: WsServer): void {
    this.heartbeat = setInterval(() => {
      for (const client of server.clients as Set<Client>) {
        if (client.alive === false) {
          client.terminate();
          continue;
        }
        client.alive = false;
        client.ping();
      }
    }, this.config.wsPingMs).unref();
  }

  handleConnection(client: Client, req: AuthenticatedUpgrade): void {
    if (!req.user) {
      client.close(1008, 'Unauthorized');
      return;
    }
    const session = new WsSession(client, req.user, req.socket.remoteAddress, this.services);
    client.session = session;
    client.alive = true;
    client.on('pong', () => (client.alive = true));
    client.on('message', (data, isBinary) => {
      if (isBinary) {
        void session.receive('');
        return;
      }
      session
        .receive(data.toString())
        .catch((err: unknown) =>
          this.logger.error({ msg: 'frame handling failed', error: err instanceof Error ? err.stack : String(err) }),
        );
    });
  }

  handleDisconnect(client: Client): void {
    client.session?.close();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeat);
  }
}

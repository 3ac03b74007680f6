import { Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { ClusterEvents, type ClusterChannel } from './cluster-events.js';

/** The one-process implementation: an in-memory emitter, delivering on a later turn of the event loop as Redis would. */
export class LocalClusterEvents extends ClusterEvents {
  private readonly logger = new Logger('ClusterEvents');
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish<T>(channel: ClusterChannel<T>, message: T): Promise<void> {
    // A round trip through JSON, as over Redis: a handler never shares an object with the publisher.
    const copy = JSON.stringify(message);
    setImmediate(() => this.emitter.emit(channel.name, copy));
    return Promise.resolve();
  }

  subscribe<T>(channel: ClusterChannel<T>, handler: (message: T) => void): () => void {
    const listener = (json: string) => {
      try {
        handler(JSON.parse(json) as T);
      } catch (err) {
        this.logger.error({ msg: 'cluster event handler failed', channel: channel.name, error: String(err) });
      }
    };
    this.emitter.on(channel.name, listener);
    return () => this.emitter.off(channel.name, listener);
  }
}

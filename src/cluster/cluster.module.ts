import { Global, Module } from '@nestjs/common';
import { ClusterEvents } from './cluster-events.js';
import { Instance } from './instance.js';
import { LocalClusterEvents } from './local-cluster-events.js';

/**
 * What instances of the service share: this instance's identity and the events all of them hear. Global, like the
 * configuration: any feature may publish or subscribe.
 */
@Global()
@Module({
  providers: [Instance, { provide: ClusterEvents, useClass: LocalClusterEvents }],
  exports: [Instance, ClusterEvents],
})
export class ClusterModule {}

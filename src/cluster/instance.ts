import { randomUUID } from 'node:crypto';

/** This process among the instances sharing one database: runs it owns carry its id. New at every boot. */
export class Instance {
  readonly id = randomUUID();
}

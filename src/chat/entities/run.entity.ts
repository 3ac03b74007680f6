import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RunStatus } from '../../runs/run-stream-event.js';

export type OnDisconnect = 'cancel' | 'continue';

@Entity({ name: 'runs' })
export class RunEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 64 })
  agent: string;

  @Column({ type: 'varchar', length: 100 })
  model: string;

  @Column({ type: 'varchar', length: 16 })
  status: RunStatus;

  @Column({ name: 'stop_reason', type: 'varchar', length: 32, nullable: true })
  stopReason: string | null;

  @Column({ type: 'jsonb' })
  usage: { input_tokens: number; output_tokens: number };

  @Column({ type: 'jsonb', nullable: true })
  error: { code: string; message: string } | null;

  @Column({ type: 'jsonb', nullable: true })
  context: Record<string, unknown> | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey: string | null;

  /** The instance driving the run while it is active. */
  @Column({ name: 'instance_id', type: 'uuid', nullable: true })
  instanceId: string | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt: Date | null;

  /** The id of the run's last event, as of its last save (the event log has the live figure). */
  @Column({ name: 'last_event_id', type: 'integer', default: 0 })
  lastEventId: number;

  @Column({ type: 'boolean', default: false })
  background: boolean;

  @Column({ name: 'on_disconnect', type: 'varchar', length: 16, default: 'cancel' })
  onDisconnect: OnDisconnect;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MessageRole = 'user' | 'assistant' | 'system';
export type MessageStatus = 'streaming' | 'completed' | 'cancelled' | 'failed' | 'interrupted';
export interface TextBlock {
  type: 'text';
  text: string;
}

/** A message's text: its blocks joined (stored content is an array of text blocks). */
export function textOf(content: TextBlock[]): string {
  return content.map((b) => b.text).join('');
}

@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Insertion order; `created_at` can tie within one transaction. */
  @Column({ type: 'bigint', insert: false, update: false, select: true })
  seq: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId: string | null;

  @Column({ type: 'varchar', length: 16 })
  role: MessageRole;

  @Column({ type: 'jsonb' })
  content: TextBlock[];

  @Column({ type: 'varchar', length: 16 })
  status: MessageStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

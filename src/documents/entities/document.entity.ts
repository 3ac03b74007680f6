import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * `processing`: the row is reserved and its passages are being stored, in several short statements; only `ready`
 * documents are listed, shown or searched. `failed` is reserved for asynchronous ingestion.
 */
export type DocumentStatus = 'processing' | 'ready' | 'failed';

@Entity({ name: 'documents' })
export class DocumentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 300 })
  title: string;

  @Column({ name: 'mime_type', type: 'varchar', length: 100 })
  mimeType: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes: number;

  /** Hex SHA-256 of the uploaded bytes (of the UTF-8 content for JSON uploads); unique per user. */
  @Column({ type: 'char', length: 64 })
  sha256: string;

  @Column({ type: 'varchar', length: 16, default: 'ready' })
  status: DocumentStatus;

  @Column({ name: 'chunk_count', type: 'integer', default: 0 })
  chunkCount: number;

  /** Length of the extracted text in UTF-16 code units, the unit of the chunks' offsets. */
  @Column({ name: 'text_length', type: 'integer', default: 0 })
  textLength: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A file kept for a `document.ingest` task; its bytes are read in pieces (`UploadsRepository.readData`). */
@Entity({ name: 'uploads' })
export class UploadEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @Column({ type: 'varchar', length: 255 })
  filename: string;

  /** The part's declared Content-Type: a hint for the parser, as for `POST /api/documents`. */
  @Column({ name: 'mime_type', type: 'varchar', length: 255 })
  mimeType: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes: number;

  @Column({ type: 'bytea', select: false })
  data: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}

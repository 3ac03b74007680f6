import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UploadEntity } from '../entities/upload.entity.js';

/** Read back in pieces of this size: one row of many megabytes would be parsed in one go on the event loop. */
const READ_PIECE_BYTES = 1024 * 1024;

/** Kept files for `document.ingest` tasks. Reads for clients are scoped by user. */
@Injectable()
export class UploadsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(upload: Omit<UploadEntity, 'createdAt'>): Promise<UploadEntity> {
    const [row] = await this.db.query<Array<{ created_at: Date }>>(
      `INSERT INTO uploads (id, user_id, filename, mime_type, size_bytes, data, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`,
      [upload.id, upload.userId, upload.filename, upload.mimeType, upload.sizeBytes, upload.data, upload.expiresAt],
    );
    const { data: _data, ...meta } = upload;
    return Object.assign(new UploadEntity(), { ...meta, createdAt: row.created_at });
  }

  /** The upload's record, without its bytes; null when it is not the user's or has expired. */
  findOwned(userId: string, id: string): Promise<UploadEntity | null> {
    return this.db
      .getRepository(UploadEntity)
      .createQueryBuilder('u')
      .where('u.id = :id AND u.user_id = :userId AND u.expires_at > now()', { id, userId })
      .getOne();
  }

  async readData(upload: Pick<UploadEntity, 'id' | 'sizeBytes'>): Promise<Buffer> {
    const pieces: Buffer[] = [];
    for (let from = 0; from < upload.sizeBytes; from += READ_PIECE_BYTES) {
      const [row] = await this.db.query<Array<{ piece: Buffer }>>(
        `SELECT substring(data FROM $2 FOR $3) AS piece FROM uploads WHERE id = $1`,
        [upload.id, from + 1, READ_PIECE_BYTES],
      );
      if (!row) throw new Error('The upload was deleted while it was read');
      pieces.push(row.piece);
    }
    return Buffer.concat(pieces);
  }

  async delete(id: string): Promise<void> {
    await this.db.getRepository(UploadEntity).delete({ id });
  }

  async deleteExpired(): Promise<number> {
    const [, affected] = await this.db.query<[unknown[], number]>(`DELETE FROM uploads WHERE expires_at <= now()`);
    return affected;
  }
}

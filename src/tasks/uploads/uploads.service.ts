import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ValidationFailedError } from '../../common/errors/app.error.js';
import type { UploadEntity } from '../entities/upload.entity.js';
import { UploadsRepository } from './uploads.repository.js';

/** How long a kept file waits for its `document.ingest` task (and its retries). */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
const SWEEP_MS = 10 * 60 * 1000;

export interface ReceivedFile {
  buffer: Buffer;
  originalname: string;
  mimetype: string;
  size: number;
}

/** `POST /api/uploads`: files kept for `document.ingest` tasks; expired ones are deleted every few minutes. */
@Injectable()
export class UploadsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UploadsService.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly uploads: UploadsRepository) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.uploads
        .deleteExpired()
        .catch((err: unknown) => this.logger.warn({ msg: 'could not delete expired uploads', error: String(err) }));
    }, SWEEP_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  keep(userId: string, file: ReceivedFile | undefined): Promise<UploadEntity> {
    if (!file)
      throw new ValidationFailedError([{ field: 'file', message: 'send the file as a multipart "file" field' }]);
    return this.uploads.create({
      id: randomUUID(),
      userId,
      filename: (file.originalname || 'upload').slice(0, 255),
      mimeType: (file.mimetype || 'application/octet-stream').slice(0, 255),
      sizeBytes: file.size,
      data: file.buffer,
      expiresAt: new Date(Date.now() + UPLOAD_TTL_MS),
    });
  }
}

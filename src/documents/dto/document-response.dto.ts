import { ApiProperty } from '@nestjs/swagger';
import type { DocumentStatus } from '../entities/document.entity.js';

export class DocumentResponseDto {
  @ApiProperty({ format: 'uuid', example: '3f1d1c2e-8d7b-4a4e-9a39-2d5f0b7c6e11' })
  id: string;

  @ApiProperty({ example: 'Refund policy' })
  title: string;

  @ApiProperty({
    example: 'application/pdf',
    enum: [
      'text/plain',
      'text/markdown',
      'text/html',
      'application/pdf',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ],
    description: 'Detected from the content, not the file name',
  })
  mime_type: string;

  @ApiProperty({ example: 48213, description: 'Size of the uploaded bytes (UTF-8 bytes of `content` for JSON)' })
  size_bytes: number;

  @ApiProperty({ example: 12, description: 'Number of indexed passages' })
  chunk_count: number;

  @ApiProperty({ example: 'ready', enum: ['processing', 'ready', 'failed'] })
  status: DocumentStatus;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T14:00:00.000Z' })
  created_at: string;
}

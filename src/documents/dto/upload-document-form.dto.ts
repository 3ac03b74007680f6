import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The multipart form of `POST /api/documents`, for Swagger (multer reads the file; CreateDocumentDto the rest). */
export class UploadDocumentFormDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'Plain text, Markdown, HTML, PDF (text layer) or DOCX, at most 25 MiB; the type is read from the bytes',
  })
  file: unknown;

  @ApiPropertyOptional({ example: 'Refund policy', maxLength: 300, description: 'Defaults to the file name' })
  title?: string;
}

import { ApiProperty } from '@nestjs/swagger';

export class UploadDto {
  @ApiProperty({ format: 'uuid', description: 'Give it as `upload_id` to a `document.ingest` task' })
  id: string;

  @ApiProperty({ example: 'annual-report.pdf' })
  filename: string;

  @ApiProperty({ example: 'application/pdf', description: 'As declared by the client: a hint, never trusted' })
  mime_type: string;

  @ApiProperty({ example: 20971520 })
  size_bytes: number;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'The file is deleted after this' })
  expires_at: string;
}

export class UploadFormDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The file, at most 25 MiB' })
  file: unknown;
}

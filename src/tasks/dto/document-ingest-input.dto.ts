import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : (value ?? undefined));

/** `document.ingest`: text given here, or a file kept with `POST /api/uploads`. */
export class DocumentIngestInputDto {
  @ApiPropertyOptional({ example: 'Annual report', minLength: 1, maxLength: 300 })
  @Transform(trim)
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  title?: string;

  @ApiPropertyOptional({ description: 'The text itself (plain text, Markdown or HTML); or give `upload_id`' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  content?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A file kept with POST /api/uploads; or give `content`' })
  @IsOptional()
  @IsUUID()
  upload_id?: string;
}

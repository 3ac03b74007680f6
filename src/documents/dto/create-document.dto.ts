import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

// JSON null means "not given", as for every optional field (class-validator's @IsOptional skips null too), so the
// service only ever sees a string or undefined.
const absentIfNull = ({ value }: { value: unknown }) => value ?? undefined;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : (value ?? undefined));

/**
 * `POST /api/documents` fields besides the file: the JSON body `{title, content}`, or the text fields of a
 * multipart upload (`title` only; the bytes come in `file`).
 */
export class CreateDocumentDto {
  @ApiPropertyOptional({
    example: 'Refund policy',
    minLength: 1,
    maxLength: 300,
    description: 'Defaults to the HTML <title>, else the file name, else the first line of the text',
  })
  @Transform(trim)
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(300)
  title?: string;

  // Required in the JSON body this schema documents; optional here because the same class reads a multipart
  // upload's text fields, where the bytes come in `file` instead.
  @ApiProperty({
    example: '# Refunds\n\nCustomers may return items within 30 days of delivery.',
    minLength: 1,
    description: 'The text itself. Plain text or Markdown; HTML is detected and converted to text.',
  })
  @Transform(absentIfNull)
  @IsOptional()
  @IsString()
  @MinLength(1)
  content?: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CATALOGUE } from './error-catalogue.js';

class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  field: string;

  @ApiProperty({ example: 'email must be an email' })
  message: string;
}

/** The problem+json body of every error response (RFC 9457), for Swagger. */
export class ProblemResponseDto {
  @ApiProperty({ example: '/problems/validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'The request is invalid; see errors for each field' })
  detail: string;

  @ApiProperty({ example: '/api/auth/register' })
  instance: string;

  @ApiProperty({ example: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' })
  request_id: string;

  @ApiProperty({
    example: 'VALIDATION_FAILED',
    enum: Object.keys(ERROR_CATALOGUE),
    enumName: 'ErrorCode',
    description: 'Stable machine-readable code',
  })
  code: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Per-field messages (400 only)' })
  errors?: FieldErrorDto[];
}

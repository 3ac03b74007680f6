import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** An optional integer query parameter: converted, validated and documented by one decorator. */
export function IntQueryParam(options: { min: number; max: number; default: number; description: string }) {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: options.min,
      maximum: options.max,
      default: options.default,
      example: options.default,
      description: options.description,
    }),
    Type(() => Number),
    IsInt(),
    Min(options.min),
    Max(options.max),
  );
}

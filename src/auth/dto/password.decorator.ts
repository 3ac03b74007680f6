import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 8;
// Bounded so a megabyte "password" cannot turn hashing into a denial of service.
export const PASSWORD_MAX_LENGTH = 256;

/** A password being chosen (registration, a change): the same rules wherever one is set, documented with them. */
export function NewPassword(description?: string) {
  return applyDecorators(
    ApiProperty({
      example: 'correct horse battery staple',
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      description,
    }),
    IsString(),
    MinLength(PASSWORD_MIN_LENGTH),
    MaxLength(PASSWORD_MAX_LENGTH),
  );
}

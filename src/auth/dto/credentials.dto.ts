import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, Matches, MaxLength } from 'class-validator';
import { normalizeEmailInput, UNQUOTED_EMAIL } from '../../common/validation/email-address.js';
import { NewPassword } from './password.decorator.js';

export class CredentialsDto {
  @ApiProperty({
    example: 'ada@example.com',
    maxLength: 320,
    description:
      'Compared in one normalized spelling (NFKC, case-folded, invisible characters removed), which is the one ' +
      'stored and returned; a quoted local part ("ada"@example.com) is refused.',
  })
  @Transform(({ value }) => normalizeEmailInput(value))
  @IsEmail({}, { message: 'email must be an email address' })
  @Matches(UNQUOTED_EMAIL, { message: 'email must not have a quoted local part' })
  @MaxLength(320)
  email: string;

  @NewPassword()
  password: string;
}

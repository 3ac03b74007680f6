import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../entities/user.entity.js';

export class RegisteredUserDto {
  @ApiProperty({ format: 'uuid', example: '8f0c5b1e-6a3e-4f5e-9a59-0f6f3c7f2d11' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T14:00:00.000Z' })
  created_at: string;
}

export class AccessTokenDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…' })
  access_token: string;

  @ApiProperty({ example: 'Bearer', enum: ['Bearer'] })
  token_type: 'Bearer';

  @ApiProperty({ example: 3600, description: 'Lifetime in seconds' })
  expires_in: number;
}

export class MeDto {
  @ApiProperty({ format: 'uuid', example: '8f0c5b1e-6a3e-4f5e-9a59-0f6f3c7f2d11' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ example: ['user'], enum: ['user', 'admin'], isArray: true })
  roles: Role[];
}

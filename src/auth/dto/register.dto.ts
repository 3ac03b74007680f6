import { CredentialsDto } from './credentials.dto.js';

/** `POST /api/auth/register`. Roles cannot be chosen here: unknown fields such as `roles` are rejected. */
export class RegisterDto extends CredentialsDto {}

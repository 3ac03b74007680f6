import { CredentialsDto } from './credentials.dto.js';

export class LoginDto extends CredentialsDto {}

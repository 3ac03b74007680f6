import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** Opts a route (or controller) out of the global JWT guard. Everything else requires a valid token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

import { CreateUsers1763800000000 } from './1763800000000-create-users.js';

/** Applied in order at boot on PGlite and PostgreSQL alike. */
export const MIGRATIONS = [CreateUsers1763800000000];

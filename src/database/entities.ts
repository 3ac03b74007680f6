import { UserEntity } from '../auth/entities/user.entity.js';

/** Every entity the DataSource knows; feature issues append theirs. */
export const ENTITIES = [UserEntity];

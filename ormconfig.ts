/**
 * The TypeORM CLI's DataSource (`npm run migration:run`, `npm run migration:generate -- src/database/migrations/<name>`).
 * It uses the same configuration and factory as the app: DATABASE_URL for PostgreSQL, else PGlite in PGLITE_DIR.
 * Stop the server first when using PGlite: an embedded database has one owner at a time.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { loadConfig } from './src/config/load-config.js';
import { createDataSource } from './src/database/data-source.factory.js';
import { ENTITIES } from './src/entities.js';

if (existsSync('.env')) process.loadEnvFile('.env');

export default createDataSource(loadConfig(process.env).database, ENTITIES);

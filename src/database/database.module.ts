import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseConfig } from '../config/app-config.js';
import { baseOptions, createDataSource, type EntityList, initializeDataSource } from './data-source.factory.js';
import { PreparedStatements } from './prepared-statements.js';

/**
 * Opens the database chosen by configuration and applies pending migrations before any other module uses it
 * (the reference startup order: settings, validation, pool, migrations, then the rest). Global, like the
 * DataSource it opens: every repository may run its hot statements through `PreparedStatements`.
 */
@Module({})
export class DatabaseModule {
  static forRoot(database: DatabaseConfig, entities: EntityList): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [PreparedStatements],
      exports: [PreparedStatements],
      imports: [
        TypeOrmModule.forRootAsync({
          // A server that is still starting gets a few seconds; a wrong URL still fails boot quickly.
          useFactory: () => ({ ...baseOptions(entities), type: 'postgres', retryAttempts: 3, retryDelay: 1000 }),
          dataSourceFactory: async () => initializeDataSource(await createDataSource(database, entities)),
        }),
      ],
    };
  }
}

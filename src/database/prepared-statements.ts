import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { databaseFailure } from '../common/errors/database-unavailable.js';
import { AppConfig } from '../config/app-config.js';

/** A statement of a hot path: fixed text, and a name no other statement of the app has. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

const declared = new Map<string, string>();

/**
 * Declares a statement once, at module load. A name stands for one text on every connection (the driver refuses a
 * second text under a prepared name), so a duplicate name fails here, loudly, instead of at the first request.
 */
export function statement(name: string, text: string): Statement {
  const known = declared.get(name);
  if (known !== undefined && known !== text) throw new Error(`SQL statement name "${name}" is declared twice`);
  declared.set(name, text);
  return Object.freeze({ name, text });
}

/**
 * Runs the hot statements as named prepared statements: PostgreSQL parses, analyzes and plans each once per
 * connection instead of on every call (BENCHMARKS.md history has the figures; docs/PERFORMANCE.md the entry).
 * Each runs on a connection TypeORM hands out through its public QueryRunner: the runner of the caller's
 * transaction when a manager is passed (so a statement inside a transaction sees its writes and, on embedded PGlite
 * with its one connection, does not wait for it forever), or a runner of its own, released after the call. The
 * statement goes to the pg client the runner connected, as a pg query config (`{ name, text, values }`), which
 * TypeORM's `query()` does not pass on. Failures come out as TypeORM's `QueryFailedError`, the same shape every
 * other query fails with, so the callers' conflict handling and the database-failure classification treat both
 * alike. With DATABASE_PREPARED_STATEMENTS=false the same text runs unnamed.
 */
@Injectable()
export class PreparedStatements {
  private readonly named: boolean;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    this.named = config.database.preparedStatements;
  }

  /** Runs `statement`; pass the transaction's manager to run it inside that transaction. */
  async rows<T extends QueryResultRow>(statement: Statement, values: unknown[], manager?: EntityManager): Promise<T[]> {
    const inTransaction = manager?.queryRunner;
    const runner = inTransaction ?? this.dataSource.createQueryRunner();
    try {
      // A pool that stays busy (DATABASE_POOL_TIMEOUT_MS) rejects here, as TypeORM's own queries do: not a query error.
      const client = (await runner.connect()) as PoolClient;
      try {
        return (await client.query<T>(this.config(statement, values))).rows;
      } catch (err) {
        // The server ends a connection (an administrator's terminate, a shutdown) with an error message first and
        // closes the socket after: released in between, the client would look healthy to the pool and fail the next
        // query on it. Ending it now makes the pool drop it on release.
        if (databaseFailure(err) === 'unavailable') void client.end().catch(() => undefined);
        throw new QueryFailedError(statement.text, values, err as Error);
      }
    } finally {
      // A connection that broke meanwhile was already released by the runner, with its error (the pool drops it).
      if (!inTransaction) await runner.release();
    }
  }

  private config(statement: Statement, values: unknown[]): QueryConfig {
    return this.named ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
  }
}

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * At boot, runs still marked `running` belonged to a process that died (kill -9, OOM, power): nothing will
 * finish them. They become `interrupted`, and so do their half-streamed assistant messages, whose saved prefix
 * stays readable in the history. (One instance owns the database here; several instances sharing one would need
 * a heartbeat per run before sweeping.)
 */
@Injectable()
export class RunRecoveryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RunRecoveryService.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    const [runs, messages] = await this.db.transaction(async (m) => [
      await m.query(
        `UPDATE runs SET status = 'interrupted', stop_reason = 'interrupted', finished_at = now(),
           error = '{"code":"INTERRUPTED","message":"The server stopped during this run"}'::jsonb
         WHERE status = 'running' RETURNING id`,
      ),
      await m.query(`UPDATE messages SET status = 'interrupted' WHERE status = 'streaming' RETURNING id`),
    ]);
    const count = (rows: unknown) =>
      Array.isArray(rows) ? (Array.isArray(rows[0]) ? rows[0].length : rows.length) : 0;
    if (count(runs) || count(messages)) {
      this.logger.warn({
        msg: 'marked runs left running by a previous process as interrupted',
        runs: count(runs),
        messages: count(messages),
      });
    }
  }
}

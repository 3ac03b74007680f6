import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AdminStatsDto } from './dto/admin-stats.dto.js';

@Injectable()
export class AdminService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Whole-instance counts: the one place that reads across users, behind the admin role. */
  async stats(): Promise<AdminStatsDto> {
    const [row] = (await this.db.query(`
      SELECT (SELECT count(*) FROM users) AS users,
             (SELECT count(*) FROM conversations) AS conversations,
             (SELECT count(*) FROM runs) AS runs,
             (SELECT count(*) FROM runs WHERE status = 'running') AS active_runs,
             (SELECT count(*) FROM tool_calls) AS tool_calls,
             (SELECT count(*) FROM documents) AS documents`)) as Array<Record<keyof AdminStatsDto, string>>;
    return {
      users: Number(row.users),
      conversations: Number(row.conversations),
      runs: Number(row.runs),
      active_runs: Number(row.active_runs),
      tool_calls: Number(row.tool_calls),
      documents: Number(row.documents),
    };
  }
}

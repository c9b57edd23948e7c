// One migration list per driver (column types are not portable). Each class runs the shared SQL
// with its driver's dialect.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { INIT_TABLES, initSql, POSTGRES, SQLITE, type Dialect } from './tables';

function init(name: string, dialect: Dialect): new () => MigrationInterface {
  return class implements MigrationInterface {
    name = name;
    async up(q: QueryRunner): Promise<void> {
      for (const sql of initSql(dialect)) await q.query(sql);
    }
    async down(q: QueryRunner): Promise<void> {
      for (const t of INIT_TABLES) await q.query(`DROP TABLE ${t}`);
    }
  };
}

export const SQLITE_MIGRATIONS = [init('Init1764316800000', SQLITE)];
export const POSTGRES_MIGRATIONS = [init('Init1764316800000', POSTGRES)];

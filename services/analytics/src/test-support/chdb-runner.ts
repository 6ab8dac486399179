import { Session } from 'chdb';
import type { SqlRunner } from '../store/sql-runner.js';

/**
 * A SqlRunner on chdb: a current ClickHouse in this process, with its data in `session`'s folder.
 * The same SQL text the service sends over HTTP runs here, and answers in the same JSONEachRow.
 */
export function chdbSqlRunner(session: Session): SqlRunner {
  return {
    command(sql) {
      // chdb runs synchronously; a rejected promise carries its error like the HTTP client's.
      return Promise.resolve().then(() => void session.query(sql, 'TabSeparated'));
    },
    rows<T>(sql: string): Promise<T[]> {
      return Promise.resolve().then(() =>
        session
          .query(sql, 'JSONEachRow')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as T),
      );
    },
  };
}

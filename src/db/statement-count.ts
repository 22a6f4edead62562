import type pg from 'pg';

let sent = 0;

/** SQL statements this process has sent to PostgreSQL: each query, BEGIN and COMMIT counts one. */
export function statementsSent(): number {
  return sent;
}

/**
 * Counts every statement a client of `pool` sends, whoever sends it (Prisma's adapter, the fixed
 * SQL of the provider's store, the rate limiter). `npm run bench` prints statements per operation
 * from it (SIGUSR2, see server.ts); the cost is one increment per statement.
 */
export function countStatements(pool: pg.Pool): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      sent++;
      return query(...args);
    };
  });
}

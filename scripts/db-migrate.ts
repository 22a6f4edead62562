// npm run db:migrate            apply committed migrations to DATABASE_URL (default: embedded .data/db)
// npm run db:diff -- <name>     write prisma/migrations/<timestamp>_<name>/migration.sql for schema changes
import { resolveDatabaseTarget, describeTarget } from '../src/db/database-target.ts';
import { openDriverAdapter } from '../src/db/driver-adapter.ts';
import { applyMigrations, diffAgainstSchema, writeMigration } from '../src/db/migrations.ts';

const [command, name] = process.argv.slice(2);

if (command === 'deploy') {
  const target = resolveDatabaseTarget();
  const adapter = await openDriverAdapter(target, { forMigrations: true, poolSize: 1 });
  try {
    const applied = await applyMigrations(adapter.factory);
    console.log(`${describeTarget(target)}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}`);
  } finally {
    await adapter.close();
  }
} else if (command === 'diff') {
  if (!name) {
    console.error('usage: npm run db:diff -- <migration_name>');
    process.exit(2);
  }
  // A scratch in-memory database holding every committed migration is diffed against the schema:
  // no server, no shadow database, no download.
  const scratch = await openDriverAdapter({ kind: 'pglite', dir: 'memory://' });
  try {
    await applyMigrations(scratch.factory);
    const sql = await diffAgainstSchema(scratch.factory);
    if (!sql.trim()) {
      console.log('No schema changes: nothing written.');
    } else {
      console.log(`Wrote ${writeMigration(name, sql)}`);
    }
  } finally {
    await scratch.close();
  }
} else {
  console.error('usage: db-migrate.ts deploy | diff <name>');
  process.exit(2);
}

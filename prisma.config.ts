// Prisma 7 reads the schema location from here. The CLI is used only for `generate`
// (scripts/prisma-generate.mjs); migrations run through scripts/db-migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});

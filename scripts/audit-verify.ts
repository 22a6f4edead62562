// npm run audit:verify — checks the whole audit hash chain; exits 1 at the first broken entry.
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { verifyAuditChain } from '../src/audit/verify-audit-chain.ts';

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
try {
  const report = await verifyAuditChain(database.prisma);
  if (report.ok) {
    console.log(`audit chain intact: ${report.entries} entries, last hash ${report.lastHash}`);
  } else {
    console.error(
      `audit chain BROKEN at entry #${report.brokenAt} (${report.reason}): expected ${report.expected}, found ${report.found}; ${report.entries} entries before it verify.`,
    );
    process.exitCode = 1;
  }
} finally {
  await database.close();
}

// npm run mnc:unlink -- --registration-number <N>   an administrator removes a practitioner's My
// Number Card link (the admin console will offer the same); audited.
import { parseArgs } from 'node:util';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { unlinkMyNumberCard } from '../src/practitioners/my-number-card-links.ts';
import { appendAudit } from '../src/audit/audit-log.ts';

const { values } = parseArgs({ options: { 'registration-number': { type: 'string' } } });
const number = values['registration-number'];
if (!number) {
  console.error('usage: npm run mnc:unlink -- --registration-number <N>');
  process.exit(2);
}
const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
try {
  const practitioner = await database.prisma.practitioner.findUnique({ where: { registrationNumber: number } });
  if (!practitioner) {
    console.error(`no practitioner with registration number ${number}`);
    process.exitCode = 2;
  } else {
    const removed = await unlinkMyNumberCard(database.prisma, practitioner.id);
    await appendAudit(database.prisma, { event: 'admin.mnc_unlink', result: removed ? 'success' : 'info', practitionerId: practitioner.id, details: { by: 'command' } });
    console.log(removed ? 'My Number Card link removed.' : 'No My Number Card was linked.');
  }
} finally {
  await database.close();
}

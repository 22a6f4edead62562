// npm run trust:add -- [--scheme hpki|jpki] [--anchor root.pem]... [--intermediate ca.pem]... [--crl list.crl]...
// Loads trust anchors, issuing CAs and CRLs (PEM or DER files) into the database. Only what is
// loaded here validates certificate logins: no public CA is trusted implicitly.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { importCrl, importTrustCertificates, type TrustScheme } from '../src/pki/trust/trust-material-repository.ts';
import { appendAudit } from '../src/audit/audit-log.ts';
import { PkiError } from '../src/pki/errors.ts';

const { values } = parseArgs({
  options: {
    scheme: { type: 'string', default: 'hpki' },
    anchor: { type: 'string', multiple: true, default: [] },
    intermediate: { type: 'string', multiple: true, default: [] },
    crl: { type: 'string', multiple: true, default: [] },
  },
});
if (values.scheme !== 'hpki' && values.scheme !== 'jpki') {
  console.error('--scheme must be hpki or jpki');
  process.exit(2);
}
const scheme = values.scheme as TrustScheme;
const read = (file: string) => new Uint8Array(fs.readFileSync(file));

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
try {
  for (const [role, files] of [['anchor', values.anchor], ['intermediate', values.intermediate]] as const) {
    for (const file of files) {
      for (const c of await importTrustCertificates(database.prisma, scheme, role, read(file))) {
        console.log(`${role}: ${c.subject} (${c.fingerprint.slice(0, 16)}…)`);
        await appendAudit(database.prisma, { event: 'admin.trust_certificate_added', result: 'success', details: { scheme, role, ...c } });
      }
    }
  }
  for (const file of values.crl) {
    const crl = await importCrl(database.prisma, scheme, read(file), `file:${file}`);
    console.log(`CRL: ${crl.issuer}, ${crl.entries} revoked, next update ${crl.nextUpdate.toISOString()}`);
    await appendAudit(database.prisma, { event: 'admin.crl_loaded', result: 'success', details: { scheme, issuer: crl.issuer, entries: crl.entries } });
  }
} catch (error) {
  console.error(error instanceof PkiError ? `${error.code}: ${error.detail}` : (error as Error).message);
  process.exitCode = 2;
} finally {
  await database.close();
}

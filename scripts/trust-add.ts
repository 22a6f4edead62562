// npm run trust:add -- [--scheme hpki|jpki] [--anchor root.pem]... [--intermediate ca.pem]... [--crl list.crl]...
// Loads trust anchors, issuing CAs and CRLs (PEM or DER files) into the database. Only what is
// loaded here validates certificate logins: no public CA is trusted implicitly. One call is all or
// nothing: every file is checked first, then everything is written in one transaction; any refusal
// exits non-zero (2) with its code, and nothing of the call is stored.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { importTrustMaterial, type TrustScheme } from '../src/pki/trust/trust-material-repository.ts';
import { appendAudit } from '../src/audit/audit-log.ts';
import { PkiError } from '../src/pki/errors.ts';

/** Bad arguments or unreadable files (exit 1), as opposed to refused trust material (exit 2). */
class UsageError extends Error {}

let exitCode = 0;
try {
  const { values } = parseArgs({
    options: {
      scheme: { type: 'string', default: 'hpki' },
      anchor: { type: 'string', multiple: true, default: [] },
      intermediate: { type: 'string', multiple: true, default: [] },
      crl: { type: 'string', multiple: true, default: [] },
    },
  });
  if (values.scheme !== 'hpki' && values.scheme !== 'jpki') throw new UsageError('--scheme must be hpki or jpki');
  const scheme = values.scheme as TrustScheme;
  const read = (file: string) => {
    try {
      return new Uint8Array(fs.readFileSync(file));
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const batch = {
    scheme,
    anchors: values.anchor.map(read),
    intermediates: values.intermediate.map(read),
    crls: values.crl.map((file) => ({ input: read(file), source: `file:${file}` })),
  };

  const env = readEnvironment();
  const database = await openDatabase({ url: env.databaseUrl, migrate: true });
  try {
    const result = await importTrustMaterial(database.prisma, batch, { minRsaBits: env.certificates.minRsaBits });
    for (const c of result.certificates) {
      console.log(`${c.role}: ${c.subject} (${c.fingerprint.slice(0, 16)}…)`);
      await appendAudit(database.prisma, { event: 'admin.trust_certificate_added', result: 'success', details: { scheme, role: c.role, fingerprint: c.fingerprint, subject: c.subject } });
    }
    for (const crl of result.crls) {
      const number = crl.crlNumber === undefined ? '' : `, number ${crl.crlNumber}`;
      console.log(`CRL: ${crl.issuer}${number}, ${crl.entries} revoked, next update ${crl.nextUpdate.toISOString()}${crl.duplicate ? ' (already loaded)' : ''}`);
      await appendAudit(database.prisma, { event: 'admin.crl_loaded', result: 'success', details: { scheme, issuer: crl.issuer, entries: crl.entries, source: crl.source } });
    }
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(error instanceof PkiError ? `${error.code}: ${error.detail}` : (error as Error).message);
  console.error('nothing was stored');
  exitCode = error instanceof UsageError || String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS') ? 1 : 2;
}
// Explicitly: closing PGlite's wasm runtime resets process.exitCode.
process.exit(exitCode);

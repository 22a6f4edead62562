import { openDatabase } from '../../src/db/open-database.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import type { Db } from '../../src/db/current.ts';
import type { HpkiTestPki } from '../../src/pki/test-pki/index.ts';

/** Loads the test PKI's root (anchor), issuing CAs and CRLs, as `npm run trust:add` would. */
export async function importTestPki(prisma: Db, pki: HpkiTestPki): Promise<void> {
  await importTrustCertificates(prisma, 'hpki', 'anchor', pki.root.der);
  await importTrustCertificates(prisma, 'hpki', 'intermediate', pki.authCa.der);
  await importTrustCertificates(prisma, 'hpki', 'intermediate', pki.signCa.der);
  for (const crl of [pki.rootCrl, pki.authCaCrl, pki.signCaCrl]) await importCrl(prisma, 'hpki', crl.der, 'test');
}

/** The same, into a database the portal has not opened yet (e2e: before the process starts). */
export async function seedTrustStore(databaseUrl: string, pki: HpkiTestPki): Promise<void> {
  const database = await openDatabase({ url: databaseUrl, migrate: true });
  try {
    await importTestPki(database.prisma, pki);
  } finally {
    await database.close();
  }
}

import crypto from 'node:crypto';
import { openDatabase } from '../../src/db/open-database.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createPractitioner, JPKI_HCROLE_SCHEME } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { createPortalSession, portalSessionCookieName } from '../../src/portal-session/portal-sessions.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { ACR } from '../../src/auth/assurance.ts';
import type { Db } from '../../src/db/current.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';
import { createSigningKey } from '../../src/signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from '../../src/demo/second-certificate-issuer.ts';
import { loadKeyEncryptionKey } from '../../src/crypto/key-encryption.ts';
import { createKeyStore } from '../../src/signing/key-store-factory.ts';
import type { KeyStore } from '../../src/signing/key-store.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { createEhrClient, type EhrClient } from '../support/ehr-client.ts';
import {
  createHpkiTestPki,
  createJpkiTestPki,
  issuePractitionerCertificate,
  type HpkiTestPki,
  type IssuedCertificate,
  type JpkiTestPki,
} from '../../src/pki/test-pki/index.ts';

/**
 * What every reliability run needs in the database before the portal serves it: the test HPKI and
 * JPKI trust, a relying party (third-party, so each login asks consent), an EHR signing client,
 * practitioners with registration codes, and an administrator's portal session (to read the audit
 * log over HTTP while an embedded database is owned by the server).
 */
export interface RelyingParty {
  id: string;
  secret: string;
  redirectUri: string;
}

export interface Registrant {
  practitionerId: string;
  code: string;
  password: string;
}

export interface ReliabilityFixture {
  hpki: HpkiTestPki;
  jpki: JpkiTestPki;
  /** Several HPKI authentication cards (RSA and ECDSA), each a different practitioner. */
  cards: IssuedCertificate[];
  /** Cards not yet seen by the portal: each first login enrols and asks consent. */
  newcomers: IssuedCertificate[];
  rp: RelyingParty;
  ehr: EhrClient;
  registrants: Registrant[];
  /** Admin portal session id; the cookie name depends on the portal's public URL. */
  adminSessionId: string;
}

export const RP: RelyingParty = { id: 'reliability-rp', secret: 'reliability-rp-secret-0123456789abcdef', redirectUri: 'http://localhost:9/cb' };

const validity = () => ({ notBefore: new Date(Date.now() - 86400_000), notAfter: new Date(Date.now() + 365 * 86400_000) });

/** Test material made once per run (key generation is the slow part). */
export async function createReliabilityMaterial(cardCount = 6, newcomerCount = 0) {
  const [hpki, jpki] = await Promise.all([createHpkiTestPki(), createJpkiTestPki()]);
  const cards = await Promise.all(
    Array.from({ length: cardCount }, (_, i) =>
      issuePractitionerCertificate({
        issuer: hpki.authCa,
        kind: 'authentication',
        keyAlgorithm: i % 2 ? 'ecdsa-p256' : 'rsa-2048',
        hcRoles: [{ role: i % 3 === 2 ? 'Pharmacist' : 'Medical Doctor' }],
        practitioner: {
          romanisedName: `Card${i} Reliability`,
          kanjiFamilyName: '信頼',
          kanjiGivenName: `試験${i}`,
          facilityEn: 'RELIABILITY TEST HOSPITAL',
          facilityJa: '信頼性試験病院',
          hpkiId: `Rel${String(i).padStart(7, '0')}`,
        },
        ...validity(),
      }),
    ),
  );
  const ehr = await createEhrClient('reliability-ehr', 'http://localhost:9/ehr/callback');
  // Cards never used before: their first login enrols a practitioner and asks consent (the fault run).
  const newcomers = await Promise.all(
    Array.from({ length: newcomerCount }, (_, i) =>
      issuePractitionerCertificate({
        issuer: hpki.authCa,
        kind: 'authentication',
        keyAlgorithm: 'ecdsa-p256',
        hcRoles: [{ role: 'Medical Doctor' }],
        practitioner: { romanisedName: `New${i} Comer`, kanjiFamilyName: '新規', kanjiGivenName: `${i}`, facilityEn: 'X', facilityJa: 'X', hpkiId: `New${String(i).padStart(7, '0')}` },
        ...validity(),
      }),
    ),
  );
  return { hpki, jpki, cards, ehr, newcomers };
}

export type ReliabilityMaterial = Awaited<ReturnType<typeof createReliabilityMaterial>>;

/** Writes the fixture into a database (before the server opens it, or beside it on PostgreSQL). */
export async function seedReliabilityData(prisma: Db, material: ReliabilityMaterial, registrantCount: number): Promise<ReliabilityFixture> {
  await importTestPki(prisma, material.hpki);
  await importTrustCertificates(prisma, 'jpki', 'anchor', material.jpki.root.der);
  await importCrl(prisma, 'jpki', material.jpki.rootCrl.der, 'test');
  await upsertClient(prisma, { clientId: RP.id, name: 'Reliability RP', secret: RP.secret, redirectUris: [RP.redirectUri] });
  await prisma.oidcClient.create({ data: { clientId: material.ehr.clientId, name: 'Reliability EHR', metadata: JSON.parse(JSON.stringify(material.ehr.metadata)) } });
  const registrants: Registrant[] = [];
  for (let i = 0; i < registrantCount; i++) {
    const p = await createPractitioner(prisma, {
      registrationNumber: `REL-REG-${i}-${crypto.randomBytes(3).toString('hex')}`,
      familyName: 'Touroku',
      givenName: `Reg${i}`,
      birthDate: '1980-04-01',
      hcRoles: [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }],
    });
    registrants.push({ practitionerId: p.id, code: (await issueRegistrationCode(prisma, p.id)).code, password: '19800401' });
  }
  const admin = await createPractitioner(prisma, {
    registrationNumber: `REL-ADMIN-${crypto.randomBytes(3).toString('hex')}`,
    familyName: 'Kanri',
    givenName: 'Admin',
    birthDate: '1970-01-01',
    hcRoles: [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }],
    isAdmin: true,
  });
  const adminSessionId = await createPortalSession(prisma, { practitionerId: admin.id, authTime: new Date(), amr: ['sc', 'pin', 'hwk'], acr: ACR.hpki, sid: null }, { sessionMaxSeconds: 12 * 3600, sessionIdleSeconds: 15 * 60 });
  return { hpki: material.hpki, jpki: material.jpki, cards: material.cards, newcomers: material.newcomers, rp: RP, ehr: material.ehr, registrants, adminSessionId };
}

/** Seeds a database the portal has not opened yet. */
export async function seedDatabase(databaseUrl: string, material: ReliabilityMaterial, registrantCount: number): Promise<ReliabilityFixture> {
  const database = await openDatabase({ url: databaseUrl, migrate: true });
  try {
    return await seedReliabilityData(database.prisma, material, registrantCount);
  } finally {
    await database.close();
  }
}

export const adminCookie = (publicUrl: string, sessionId: string) => `${portalSessionCookieName(publicUrl)}=${sessionId}`;

/** Every audit entry the server can read now (seq → hash), through the console's CSV export. */
export async function auditSnapshot(url: string, cookie: string): Promise<Map<string, string>> {
  const res = await fetch(`${url}/api/admin/audit/export.csv`, { headers: { cookie } });
  if (res.status !== 200) throw new Error(`audit export failed: ${res.status} ${await res.text()}`);
  const rows = new Map<string, string>();
  for (const line of (await res.text()).split('\r\n').slice(1)) {
    if (!line) continue;
    const seq = line.slice(0, line.indexOf(','));
    const hash = line.slice(line.lastIndexOf(',') + 1);
    rows.set(seq, hash);
  }
  return rows;
}

/**
 * The second-certificate key of the practitioner a card enrolled at its first login, issued by the
 * test signing CA: what signHash fuzzing needs.
 */
export async function enrolSigningCredential(prisma: Db, keyStore: KeyStore, card: IssuedCertificate, hpki: HpkiTestPki): Promise<string> {
  const holder = await prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(card.certificate) } });
  const credential = await createSigningKey(prisma, keyStore, holder.practitionerId);
  await issueSecondCertificateWithTestCa(prisma, credential.id, hpki.signCa, [hpki.root.der]);
  return credential.id;
}

/** The same for a server process that owns its database: its key store is opened here with its key file. */
export async function enrolSigningCredentialOffline(databaseUrl: string, keyEncryptionKeyFile: string, card: IssuedCertificate, hpki: HpkiTestPki): Promise<string> {
  const database = await openDatabase({ url: databaseUrl, migrate: false });
  const { kek } = loadKeyEncryptionKey({ file: keyEncryptionKeyFile });
  const stores = await createKeyStore({ pkcs11: undefined }, { prisma: database.prisma, kek });
  try {
    return await enrolSigningCredential(database.prisma, stores.primary, card, hpki);
  } finally {
    await stores.close();
    await database.close();
  }
}

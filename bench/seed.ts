/**
 * Benchmark seed, run in its own tsx child process before the portal starts (an embedded database
 * has one owner at a time). Writes, into BENCH_STATE_FILE, what the load driver needs:
 * - the test HPKI hierarchy imported as trust material (root, auth CA, sign CA, their CRLs);
 * - a confidential sample client (client_secret_basic, refresh tokens);
 * - an EHR signing client (private_key_jwt, DPoP, PAR + authorization_details) and its keys;
 * - N practitioners, each with a distinct HPKI authentication card (RSA-2048, own key and serial),
 *   enrolled through the product's own certificate login (validate → enrol);
 * - one signing credential (software key store sealed with the portal's KEK, second certificate
 *   from the test signing CA) for practitioner 0.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { exportJWK, generateKeyPair } from 'jose';
import { createHpkiTestPki, issuePractitionerCertificate } from '../src/pki/test-pki/index.ts';
import { importTestPki } from '../tests/support/seed-trust.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { upsertClient, upsertSigningClient } from '../src/clients/clients.ts';
import { TrustStoreCache } from '../src/pki/trust/trust-store-cache.ts';
import { authenticateHpkiCertificate } from '../src/auth/certificate-login.ts';
import { loadKeyEncryptionKey } from '../src/crypto/key-encryption.ts';
import { createKeyStore } from '../src/signing/key-store-factory.ts';
import { createSigningKey } from '../src/signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from '../src/demo/second-certificate-issuer.ts';

export interface BenchState {
  client: { id: string; secret: string; redirectUri: string };
  ehr: { id: string; redirectUri: string; clientJwk: crypto.JsonWebKey; dpopJwk: crypto.JsonWebKey };
  cards: { der: string; pkcs8: string; hpkiId: string }[];
  signing: { credentialId: string; cardIndex: number };
}

const databaseUrl = process.env.BENCH_DATABASE_URL!;
const kekFile = process.env.BENCH_KEK_FILE!;
const stateFile = process.env.BENCH_STATE_FILE!;
const cardCount = Number(process.env.BENCH_CARDS ?? 50);

const database = await openDatabase({ url: databaseUrl, migrate: true });
const prisma = database.prisma;
try {
  const pki = await createHpkiTestPki();
  await importTestPki(prisma, pki);

  const client = await upsertClient(prisma, {
    clientId: 'bench-rp',
    name: 'Benchmark RP',
    redirectUris: ['http://localhost:9/bench/callback'],
    postLogoutRedirectUris: ['http://localhost:9/bench/'],
  });

  const clientKeys = await generateKeyPair('ES256', { extractable: true });
  const dpopKeys = await generateKeyPair('ES256', { extractable: true });
  const clientPublic = { ...(await exportJWK(clientKeys.publicKey)), kid: 'bench-ehr-1', use: 'sig', alg: 'ES256' };
  await upsertSigningClient(prisma, {
    clientId: 'bench-ehr',
    name: 'Benchmark EHR',
    redirectUris: ['http://localhost:9/ehr/callback'],
    jwks: { keys: [clientPublic] },
  });

  const trust = new TrustStoreCache(() => prisma);
  const now = Date.now();
  const cards: BenchState['cards'] = [];
  let firstPractitionerId = '';
  for (let i = 0; i < cardCount; i++) {
    const hpkiId = `Bench${String(i).padStart(5, '0')}`;
    const card = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      hcRoles: [{ role: i % 5 === 4 ? 'Pharmacist' : 'Medical Doctor' }],
      practitioner: {
        romanisedName: `Taro Bench${i}`,
        kanjiFamilyName: '負荷',
        kanjiGivenName: `太郎${i}`,
        facilityEn: 'HPKI BENCH HOSPITAL',
        facilityJa: 'HPKIベンチ病院',
        hpkiId,
      },
      notBefore: new Date(now - 86400_000),
      notAfter: new Date(now + 365 * 86400_000),
    });
    // Enrol through the product's own path (chain, CRL, hcRole, then create the practitioner).
    const result = await authenticateHpkiCertificate({ prisma, trust, autoEnrol: true, ocsp: false }, card.der, 'hpki-card');
    if (i === 0) firstPractitionerId = result.practitionerId;
    const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', card.keys.privateKey)).toString('base64');
    cards.push({ der: Buffer.from(card.der).toString('base64'), pkcs8, hpkiId });
  }

  const { kek } = loadKeyEncryptionKey({ file: kekFile });
  const stores = await createKeyStore({}, { prisma, kek });
  const credential = await createSigningKey(prisma, stores.primary, firstPractitionerId);
  await issueSecondCertificateWithTestCa(prisma, credential.id, pki.signCa, [pki.root.der]);
  await stores.close();

  const state: BenchState = {
    client: { id: client.clientId, secret: client.clientSecret, redirectUri: 'http://localhost:9/bench/callback' },
    ehr: {
      id: 'bench-ehr',
      redirectUri: 'http://localhost:9/ehr/callback',
      clientJwk: { ...(await exportJWK(clientKeys.privateKey)), kid: 'bench-ehr-1', alg: 'ES256' } as crypto.JsonWebKey,
      dpopJwk: (await exportJWK(dpopKeys.privateKey)) as crypto.JsonWebKey,
    },
    cards,
    signing: { credentialId: credential.id, cardIndex: 0 },
  };
  fs.writeFileSync(stateFile, JSON.stringify(state), { mode: 0o600 });
  process.stdout.write(`\nSEEDED ${cards.length} cards, credential ${credential.id}\n`);
} finally {
  await database.close();
}

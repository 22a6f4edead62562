import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { createSoftHsmToken, type SoftHsmToken } from '../support/softhsm-token.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { clientAssertionParams, createEhrClient, type EhrClient } from '../support/ehr-client.ts';
import {
  createHpkiTestPki,
  issueCertificate,
  issueCrl,
  issuePractitionerCertificate,
  practitionerSubject,
  testCaName,
  type HpkiTestPki,
  type IssuedCertificate,
} from '../../src/pki/test-pki/index.ts';
import { startOcspHttpServer, ocspResponderHandler, type OcspAnswer } from '../../src/pki/test-pki/ocsp-responder.ts';
import { OID } from '../../src/pki/oids.ts';
import { x509 } from '../../src/pki/x509.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { attachSigningCertificate, createSigningKey } from '../../src/signing/signing-credentials.ts';
import { revokeSigningCredential } from '../../src/signing/signing-credential-lifecycle.ts';
import type { KeyStore } from '../../src/signing/key-store.ts';

/**
 * The second certificate's lifecycle (seed 002: one escrowed key per person): revoke, destroy the
 * key, renew; the certificate's real status in credentials/info and signHash (CRL, OCSP, fail
 * closed). Keys on a SoftHSM2 token (the portal's primary store here) and in the software store.
 */
let t: TestPortal;
let token: SoftHsmToken;
let pki: HpkiTestPki;
let ehr: EhrClient;
let admin: ConsoleUser;

const DAY = 86400_000;
const SHA256 = '2.16.840.1.101.3.4.2.1';
const RSA = '1.2.840.113549.1.1.1';
const detail = { type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] };
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});
const document = (n: number) => crypto.createHash('sha256').update(`e-prescription #${n}`).digest();

interface Doctor {
  card: IssuedCertificate;
  id: string;
  hpkiId: string;
}

let doctors = 0;
/** A practitioner enrolled by their first HPKI card login. */
async function doctor(): Promise<Doctor> {
  const hpkiId = `Test10${String(++doctors).padStart(4, '0')}`;
  const card = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    hcRoles: [{ role: 'Medical Doctor' }],
    practitioner: { romanisedName: `Taro Doctor${doctors}`, kanjiFamilyName: '医師', kanjiGivenName: '太郎', facilityEn: 'H', facilityJa: 'H', hpkiId },
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
  });
  await hpkiCardLogin(new CookieJar(), t.url, t.portal.rp.origin, `${t.url}/portal/login`, card);
  const row = await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(card.certificate) } });
  return { card, id: row.practitionerId, hpkiId };
}

/** What the HPKI signing CA issues for a key the key store made (only its public key is used). */
async function issueSecondCertificate(credentialId: string, who: Doctor, options: { notBefore?: Date; notAfter?: Date; ocspUrl?: string; issuer?: IssuedCertificate } = {}) {
  const credential = await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: credentialId } });
  const publicKey = await crypto.webcrypto.subtle.importKey('spki', new Uint8Array(credential.publicKeySpki), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
  return issueCertificate({
    subject: practitionerSubject({ romanisedName: 'Taro Doctor', kanjiFamilyName: '医師', kanjiGivenName: '太郎', facilityEn: 'H', facilityJa: 'H', hpkiId: who.hpkiId }),
    issuer: options.issuer ?? pki.signCa,
    keys: { publicKey, privateKey: publicKey } as CryptoKeyPair,
    notBefore: options.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    keyUsage: x509.KeyUsageFlags.nonRepudiation,
    policies: [OID.hpkiSigningEePolicy],
    policiesCritical: true,
    ocspUrl: options.ocspUrl,
  });
}

/** Key in `store` (the SoftHSM2 token by default) and its certificate attached: an active second certificate. */
async function enrolSecondCertificate(who: Doctor, options: Parameters<typeof issueSecondCertificate>[2] & { store?: KeyStore; attachAt?: Date } = {}) {
  const credential = await createSigningKey(t.portal.prisma, options.store ?? t.portal.keyStores.primary, who.id);
  const issued = await issueSecondCertificate(credential.id, who, options);
  await attachSigningCertificate(t.portal.prisma, credential.id, issued.der, [(options.issuer ?? pki.signCa).der, pki.root.der], options.attachAt);
  return { credentialId: credential.id, keyRef: credential.keyRef, certificate: issued };
}

/** PAR + RAR, the card login, approval, the DPoP-bound token: what the EHR holds for the day. */
async function authorise(who: Doctor): Promise<string> {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await (
    await fetch(`${t.url}/oidc/request`, form({
      response_type: 'code',
      redirect_uri: ehr.redirectUri,
      scope: 'openid',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([detail]),
      ...(await clientAssertionParams(ehr, `${t.url}/oidc`)),
    }))
  ).json();
  const jar = new CookieJar();
  const login = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${ehr.clientId}&request_uri=${encodeURIComponent(par.request_uri)}`, (u) => u.pathname.startsWith('/interaction/'));
  const uid = login.pathname.split('/')[2]!;
  const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
  const { redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token: await webEidToken(who.card, { origin: t.portal.rp.origin, nonce }) }))).json();
  const consent = await followRedirects(jar, t.url, redirectTo, (u) => u.pathname.startsWith('/interaction/'));
  const decided = await (await jar.fetch(`${t.url}/interaction/${consent.pathname.split('/')[2]!}/consent`, jsonPost({ decision: 'approve' }))).json();
  const back = await followRedirects(jar, t.url, decided.redirectTo, (u) => u.href.startsWith(ehr.redirectUri));
  const tokenUrl = `${t.url}/oidc/token`;
  const tokens = await (
    await fetch(tokenUrl, form(
      { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAssertionParams(ehr, `${t.url}/oidc`)) },
      { dpop: await ehr.dpopProof('POST', tokenUrl) },
    ))
  ).json();
  expect(tokens.token_type).toBe('DPoP');
  return tokens.access_token as string;
}

/** One CSC API call with a fresh DPoP proof. */
async function csc(method: string, accessToken: string, body: Record<string, unknown>) {
  const res = await fetch(`${t.url}/csc/v2/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `DPoP ${accessToken}`, dpop: await ehr.dpopProof('POST', `${t.portal.env.publicUrl}/csc/v2/${method}`, accessToken) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const signHash = (accessToken: string, credentialID: string, n: number) =>
  csc('signatures/signHash', accessToken, { credentialID, hashes: [document(n).toString('base64')], hashAlgorithmOID: SHA256, signAlgo: RSA, documentType: 'e-prescription' });
const info = (accessToken: string, credentialID: string) => csc('credentials/info', accessToken, { credentialID, certificates: 'chain', certInfo: true });

function verifies(certificateDer: Uint8Array | string, n: number, signature: string) {
  const der = typeof certificateDer === 'string' ? Buffer.from(certificateDer, 'base64') : Buffer.from(certificateDer);
  return crypto.verify('sha256', Buffer.from(`e-prescription #${n}`), new crypto.X509Certificate(der).publicKey, Buffer.from(signature, 'base64'));
}

/** The HPKI signing CA publishes a new CRL (a higher cRLNumber) listing these serials. */
const revokedAtCa: string[] = [];
let crlNumber = 2;
async function caRevokes(certificate: IssuedCertificate) {
  revokedAtCa.push(certificate.certificate.serialNumber);
  const crl = await issueCrl({
    issuer: pki.signCa,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 7 * DAY),
    revoked: revokedAtCa.map((serialNumber) => ({ serialNumber, reason: x509.X509CrlReason.keyCompromise })),
    crlNumber: crlNumber++,
  });
  await importCrl(t.portal.prisma, 'hpki', crl.der, 'test');
  t.portal.trust.invalidate('hpki');
}

/** The PKCS#11 token holds no object (public or private) with this CKA_ID any more. */
async function goneFromToken(keyRef: string) {
  await expect(t.portal.keyStores.keyStoreFor('pkcs11').deleteKey(keyRef)).rejects.toMatchObject({ code: 'signing_key_not_found' });
}

async function lastAudit(event: string) {
  return t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event }, orderBy: { seq: 'desc' } });
}

beforeAll(async () => {
  token = createSoftHsmToken();
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  t = await startTestPortal('signing-lifecycle', { env: { ...token.env, HPKI_AUTO_ENROL: 'true' } });
  expect(t.portal.keyStores.primary.kind).toBe('pkcs11');
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  ehr = await createEhrClient('ehr-lifecycle', 'http://localhost:9/ehr/callback');
  await t.portal.prisma.oidcClient.create({ data: { clientId: ehr.clientId, name: 'EHR', metadata: JSON.parse(JSON.stringify(ehr.metadata)) } });
  admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-LIFECYCLE' });
}, 120_000);
afterAll(async () => {
  await t?.close();
  token?.remove();
});

describe('revoke', () => {
  it('stops signing at once, even while the EHR still holds a live authorisation (operator command path)', async () => {
    const who = await doctor();
    const { credentialId } = await enrolSecondCertificate(who);
    const accessToken = await authorise(who);
    expect((await signHash(accessToken, credentialId, 1)).status).toBe(200);

    const revoked = await revokeSigningCredential(t.portal.prisma, who.id);
    expect(revoked).toMatchObject({ credentialId, changed: true, endedAuthorisations: 1 });
    // The EHR's token itself is still good at the provider; the authorisation row is put back as
    // live to show that the credential's own status is what refuses.
    await t.portal.prisma.signingAuthorisation.updateMany({ where: { credentialId }, data: { revokedAt: null } });
    const refused = await signHash(accessToken, credentialId, 2);
    expect(refused).toMatchObject({ status: 403, body: { error: 'signing_credential_revoked' } });
    expect(refused.body.signatures).toBeUndefined();
    expect((await lastAudit('signature')).errorCode).toBe('signing_credential_revoked');
    // credentials/info: the key is disabled; the certificate's status is the CA's (not revoked there).
    const described = await info(accessToken, credentialId);
    expect(described.body.key.status).toBe('disabled');
    expect(described.body.cert.status).toBe('valid');
    // Revoking again changes nothing; a revoked credential is never active again.
    expect((await revokeSigningCredential(t.portal.prisma, who.id)).changed).toBe(false);
  });

  it('from the console: ends the authorisations and their tokens, and is audited without secrets', async () => {
    const who = await doctor();
    const { credentialId } = await enrolSecondCertificate(who);
    const accessToken = await authorise(who);
    const res = await admin.call(`practitioners/${who.id}/signing/revoke`, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ credentialId, changed: true, endedAuthorisations: 1 });
    expect((await signHash(accessToken, credentialId, 3)).status).toBe(401);
    const entry = await lastAudit('admin.signing.revoke');
    expect(entry).toMatchObject({ result: 'success', practitionerId: admin.id });
    expect(entry.details).toMatchObject({ targetPractitionerId: who.id, credentialId });
    // A non-administrator is refused.
    const other = await consoleUser(t, { admin: false, registrationNumber: 'NOT-ADMIN-LC' });
    expect((await other.call(`practitioners/${who.id}/signing/revoke`, {})).status).toBe(403);
  });
});

describe('destroy the key', () => {
  it('deletes the PKCS#11 objects; the certificate stays to verify earlier signatures', async () => {
    const who = await doctor();
    const { credentialId, keyRef } = await enrolSecondCertificate(who);
    const accessToken = await authorise(who);
    const signed = await signHash(accessToken, credentialId, 10);
    expect(signed.status).toBe(200);

    const res = await admin.call(`practitioners/${who.id}/signing/destroy-key`, {});
    expect(res.status).toBe(200);
    expect((await res.json()).destroyed).toEqual([credentialId]);
    await goneFromToken(keyRef);
    const row = await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(row).toMatchObject({ status: 'destroyed', practitionerId: null, ownerId: who.id });
    expect(row.keyDestroyedAt).not.toBeNull();
    expect(verifies(row.certificate!, 10, signed.body.signatures[0])).toBe(true);
    const entry = await lastAudit('admin.signing.destroy_key');
    expect(entry.details).toMatchObject({ targetPractitionerId: who.id, destroyed: [credentialId] });
    expect(JSON.stringify(entry.details)).not.toContain(keyRef);
    // Nothing left to destroy; the console says so.
    expect(await (await admin.call(`practitioners/${who.id}/signing/destroy-key`, {})).json()).toMatchObject({ error: 'signing_credential_missing' });
  });

  it('wipes the software store’s sealed blob: its row is gone and no table holds it', async () => {
    const who = await doctor();
    const { credentialId, keyRef } = await enrolSecondCertificate(who, { store: t.portal.keyStores.keyStoreFor('software') });
    const sealed = (await t.portal.prisma.softwareSigningKey.findUniqueOrThrow({ where: { keyRef } })).sealedPrivateKey;
    expect((await admin.call(`practitioners/${who.id}/signing/destroy-key`, {})).status).toBe(200);
    expect(await t.portal.prisma.softwareSigningKey.findUnique({ where: { keyRef } })).toBeNull();
    const tables = await t.portal.prisma.$queryRawUnsafe<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    for (const { table_name } of tables) {
      const rows = await t.portal.prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM public."${table_name}" t`);
      expect(rows.some((r) => r.row.includes(sealed.split('.')[2]!))).toBe(false);
    }
    expect((await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: credentialId } })).status).toBe('destroyed');
  });
});

describe('renew', () => {
  it('a new key and certificate; the old one is retired, its key destroyed, still listed to verify its signatures; signing uses the new', async () => {
    const who = await doctor();
    const old = await enrolSecondCertificate(who);
    const oldToken = await authorise(who);
    const oldSignature = (await signHash(oldToken, old.credentialId, 20)).body.signatures[0];

    const renew = await admin.call(`practitioners/${who.id}/signing/renew`, {});
    expect(renew.status).toBe(201);
    const started = await renew.json();
    expect(started).toMatchObject({ renews: old.credentialId, keyStore: 'pkcs11' });
    expect(started.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    // Until the new certificate is attached the old credential signs on; asking again gives the same key.
    expect((await signHash(oldToken, old.credentialId, 21)).status).toBe(200);
    expect((await (await admin.call(`practitioners/${who.id}/signing/renew`, {})).json()).credentialId).toBe(started.credentialId);

    const issued = await issueSecondCertificate(started.credentialId, who);
    const pem = `${issued.pem}\n${pki.signCa.pem}`;
    const attached = await admin.call(`practitioners/${who.id}/signing/certificate`, { file: Buffer.from(pem).toString('base64'), chain: [Buffer.from(pki.root.der).toString('base64')] });
    expect(attached.status).toBe(200);
    expect(await attached.json()).toMatchObject({ credentialId: started.credentialId, renewed: old.credentialId, status: 'active' });

    const retired = await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: old.credentialId } });
    expect(retired).toMatchObject({ status: 'retired', practitionerId: null });
    expect(retired.keyDestroyedAt).not.toBeNull();
    await goneFromToken(old.keyRef);
    const current = await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { practitionerId: who.id } });
    expect(current.id).toBe(started.credentialId);
    expect(current.chain).toHaveLength(2);

    // The old consent named the old certificate: refused, with the reason.
    expect((await signHash(oldToken, old.credentialId, 22)).body.error).toBe('signing_credential_retired');
    // A new consent signs with the new key; the old credential is still listed and readable.
    const newToken = await authorise(who);
    const signed = await signHash(newToken, started.credentialId, 23);
    expect(signed.status).toBe(200);
    expect(verifies(issued.der, 23, signed.body.signatures[0])).toBe(true);
    expect((await csc('credentials/list', newToken, {})).body.credentialIDs).toEqual([started.credentialId, old.credentialId]);
    expect((await csc('credentials/list', newToken, { onlyValid: true })).body.credentialIDs).toEqual([started.credentialId]);
    const oldInfo = await info(newToken, old.credentialId);
    expect(oldInfo.body.key.status).toBe('disabled');
    expect(verifies(oldInfo.body.cert.certificates[0], 20, oldSignature)).toBe(true);
    expect((await signHash(newToken, old.credentialId, 24)).body.error).toBe('signing_credential_not_authorised');

    const entry = await lastAudit('admin.signing.certificate');
    expect(entry.details).toMatchObject({ targetPractitionerId: who.id, credentialId: started.credentialId, renewed: old.credentialId });
    expect(JSON.stringify((await lastAudit('admin.signing.renew')).details)).not.toContain('PUBLIC KEY');
  });

  it('refuses a certificate for another key and one with nothing waiting', async () => {
    const who = await doctor();
    const old = await enrolSecondCertificate(who);
    const refused = await admin.call(`practitioners/${who.id}/signing/certificate`, { file: Buffer.from(old.certificate.der).toString('base64') });
    expect(await refused.json()).toMatchObject({ error: 'signing_credential_not_pending' });
    await admin.call(`practitioners/${who.id}/signing/renew`, {});
    const wrongKey = await admin.call(`practitioners/${who.id}/signing/certificate`, { file: Buffer.from(old.certificate.der).toString('base64') });
    expect(await wrongKey.json()).toMatchObject({ error: 'signing_credential_mismatch' });
    expect((await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: old.credentialId } })).status).toBe('active');
  });
});

describe('the certificate’s real status', () => {
  it('valid, then revoked on the signing CA’s CRL: credentials/info says so and signHash refuses', async () => {
    const who = await doctor();
    const { credentialId, certificate } = await enrolSecondCertificate(who);
    const accessToken = await authorise(who);
    expect((await info(accessToken, credentialId)).body.cert.status).toBe('valid');
    await caRevokes(certificate);
    const described = await info(accessToken, credentialId);
    expect(described.body.cert.status).toBe('revoked');
    expect(described.body.key.status).toBe('enabled');
    expect(await signHash(accessToken, credentialId, 30)).toMatchObject({ status: 400, body: { error: 'signing_certificate_revoked' } });
    expect((await csc('credentials/list', accessToken, { onlyValid: true })).body.credentialIDs).toEqual([]);
  });

  it('expired: credentials/info says expired and signHash refuses', async () => {
    const who = await doctor();
    const { credentialId } = await enrolSecondCertificate(who, { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - DAY), attachAt: new Date(Date.now() - 200 * DAY) });
    const accessToken = await authorise(who);
    expect((await info(accessToken, credentialId)).body.cert.status).toBe('expired');
    expect(await signHash(accessToken, credentialId, 31)).toMatchObject({ status: 400, body: { error: 'signing_certificate_expired' } });
  });

  it('asks the OCSP responder the certificate names: revoked there although the CRL says nothing', async () => {
    let answer: OcspAnswer = { status: 'revoked', revokedAt: new Date(Date.now() - 60_000) };
    const responder = await startOcspHttpServer(ocspResponderHandler(() => ({ issuer: pki.signCa, answer })));
    try {
      const who = await doctor();
      const { credentialId } = await enrolSecondCertificate(who, { ocspUrl: responder.url });
      const accessToken = await authorise(who);
      expect((await info(accessToken, credentialId)).body.cert.status).toBe('revoked');
      expect((await signHash(accessToken, credentialId, 32)).body.error).toBe('signing_certificate_revoked');
      answer = { status: 'good' };
      expect((await info(accessToken, credentialId)).body.cert.status).toBe('valid');
      expect((await signHash(accessToken, credentialId, 33)).status).toBe(200);
    } finally {
      await responder.close();
    }
  });

  it('a valid status is kept for a minute (one OCSP request for several signatures); new trust material checks again at once', async () => {
    let asked = 0;
    let answer: OcspAnswer = { status: 'good' };
    const responder = await startOcspHttpServer(
      ocspResponderHandler(() => {
        asked++;
        return { issuer: pki.signCa, answer };
      }),
    );
    try {
      const who = await doctor();
      const { credentialId } = await enrolSecondCertificate(who, { ocspUrl: responder.url });
      const accessToken = await authorise(who);
      expect((await signHash(accessToken, credentialId, 35)).status).toBe(200);
      expect((await signHash(accessToken, credentialId, 36)).status).toBe(200);
      expect(asked).toBe(1);
      // Revoked at the responder: within the minute the kept status stands (documented trade-off)…
      answer = { status: 'revoked', revokedAt: new Date(Date.now() - 1000) };
      expect((await signHash(accessToken, credentialId, 37)).status).toBe(200);
      expect(asked).toBe(1);
      // …and new trust material (an import, a new CRL) builds a new store: checked again at once.
      t.portal.trust.invalidate('hpki');
      expect(await signHash(accessToken, credentialId, 38)).toMatchObject({ status: 400, body: { error: 'signing_certificate_revoked' } });
      expect(asked).toBe(2);
    } finally {
      await responder.close();
    }
  });

  it('fails closed when the status cannot be established (a signing CA without a CRL): no status in credentials/info, signHash refused', async () => {
    const signCa3 = await issueCertificate({
      subject: testCaName('HPKI-01-TestSignCA3-forNonRepudiation'),
      issuer: pki.root,
      ca: { pathLength: 0 },
      policies: [OID.hpkiSigningCaPolicy],
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
    });
    await importTrustCertificates(t.portal.prisma, 'hpki', 'intermediate', signCa3.der);
    t.portal.trust.invalidate('hpki');
    const who = await doctor();
    const { credentialId } = await enrolSecondCertificate(who, { issuer: signCa3 });
    const accessToken = await authorise(who);
    const described = await info(accessToken, credentialId);
    expect(described.status).toBe(200);
    expect(described.body.cert).not.toHaveProperty('status');
    expect(described.body.cert.certificates).toHaveLength(3);
    expect(await signHash(accessToken, credentialId, 34)).toMatchObject({ status: 503, body: { error: 'signing_certificate_status_unknown' } });
  });
});

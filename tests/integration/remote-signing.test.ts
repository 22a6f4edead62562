import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, issuePractitionerCertificate, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { clientAssertionParams, createEhrClient, type EhrClient } from '../support/ehr-client.ts';
import { createSigningKey } from '../../src/signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from '../../src/demo/second-certificate-issuer.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';

/** Remote signing: consent through PAR + RAR, an 18-hour DPoP-bound token, the CSC signing API. */
let t: TestPortal;
let pki: HpkiTestPki;
let ehr: EhrClient;
let doctorId: string;
let credentialId: string;
let other: { card: IssuedCertificate; credentialId: string };

const SHA256 = '2.16.840.1.101.3.4.2.1';
const RSA = '1.2.840.113549.1.1.1';
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});
const detail = (extra: Record<string, unknown> = {}) => ({
  type: 'credential',
  signatureQualifier: 'hpki-second-certificate',
  documentTypes: ['e-prescription'],
  ...extra,
});

async function enrolSecondCertificate(card: IssuedCertificate) {
  const jar = new CookieJar();
  await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, card);
  const cert = await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(card.certificate) } });
  const credential = await createSigningKey(t.portal.prisma, t.portal.keyStores.primary, cert.practitionerId);
  await issueSecondCertificateWithTestCa(t.portal.prisma, credential.id, pki.signCa, [pki.root.der]);
  return { practitionerId: cert.practitionerId, credentialId: credential.id };
}

/** The EHR asks (PAR + authorization_details), the practitioner logs in with the card and approves. */
async function authorise(card: IssuedCertificate, details: unknown[], approve = true) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await fetch(`${t.url}/oidc/request`, form({
    response_type: 'code',
    redirect_uri: ehr.redirectUri,
    scope: 'openid',
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    authorization_details: JSON.stringify(details),
    ...(await clientAssertionParams(ehr, `${t.url}/oidc`)),
  }));
  const parBody = await par.json();
  if (par.status !== 201) return { parError: parBody as { error: string } };
  const jar = new CookieJar();
  const start = `${t.url}/oidc/auth?client_id=${ehr.clientId}&request_uri=${encodeURIComponent(parBody.request_uri)}`;
  const login = await followRedirects(jar, t.url, start, (u) => u.pathname.startsWith('/interaction/'));
  const uid = login.pathname.split('/')[2]!;
  const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(card, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  const consent = await followRedirects(jar, t.url, redirectTo, (u) => u.pathname.startsWith('/interaction/'));
  const consentUid = consent.pathname.split('/')[2]!;
  const view = (await (await jar.fetch(consent.href)).json()).view;
  const decided = await jar.fetch(`${t.url}/interaction/${consentUid}/consent`, jsonPost({ decision: approve ? 'approve' : 'deny' }));
  const decidedBody = await decided.json();
  if (decided.status !== 200) return { view, consentError: decidedBody as { error: string } };
  const back = await followRedirects(jar, t.url, decidedBody.redirectTo, (u) => u.href.startsWith(ehr.redirectUri));
  const code = back.searchParams.get('code');
  if (!code) return { view, authorizationError: back.searchParams.get('error') };
  const tokenUrl = `${t.url}/oidc/token`;
  const res = await fetch(tokenUrl, form(
    { grant_type: 'authorization_code', code, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAssertionParams(ehr, `${t.url}/oidc`)) },
    { dpop: await ehr.dpopProof('POST', tokenUrl) },
  ));
  return { view, jar, tokens: (await res.json()) as { access_token: string; token_type: string; expires_in: number; authorization_details?: unknown[] } };
}

async function signHash(accessToken: string, body: Record<string, unknown>, options: { key?: 'own' | 'other'; scheme?: string; noProof?: boolean; proof?: string } = {}) {
  const url = `${t.url}/csc/v2/signatures/signHash`;
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `${options.scheme ?? 'DPoP'} ${accessToken}` };
  if (!options.noProof) headers.dpop = options.proof ?? (await signHashProof(accessToken, options.key));
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { signatures?: string[]; error?: string } };
}

const signHashProof = (accessToken: string, key?: 'own' | 'other') => ehr.dpopProof('POST', `${t.portal.env.publicUrl}/csc/v2/signatures/signHash`, accessToken, key);

const prescription = (n: number) => crypto.createHash('sha256').update(`e-prescription #${n}`).digest();
const hashBody = (hashes: Buffer[], extra: Record<string, unknown> = {}) => ({
  credentialID: credentialId,
  hashes: hashes.map((h) => h.toString('base64')),
  hashAlgorithmOID: SHA256,
  signAlgo: RSA,
  documentType: 'e-prescription',
  ...extra,
});

beforeAll(async () => {
  t = await startTestPortal('remote-signing', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  ehr = await createEhrClient('ehr-signing', 'http://localhost:9/ehr/callback');
  await t.portal.prisma.oidcClient.create({ data: { clientId: ehr.clientId, name: 'EHR', metadata: JSON.parse(JSON.stringify(ehr.metadata)) } });
  ({ practitionerId: doctorId, credentialId } = await enrolSecondCertificate(pki.practitioners.valid));
  const otherCard = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    hcRoles: [{ role: 'Medical Doctor' }],
    practitioner: { romanisedName: 'Jiro Other', kanjiFamilyName: '他', kanjiGivenName: '次郎', facilityEn: 'X', facilityJa: 'X', hpkiId: 'Test009999' },
    notBefore: new Date(Date.now() - 86400_000),
    notAfter: new Date(Date.now() + 30 * 86400_000),
  });
  other = { card: otherCard, credentialId: (await enrolSecondCertificate(otherCard)).credentialId };
}, 120_000);
afterAll(() => t?.close());

describe('consent', () => {
  it('refuses a document type other than e-prescriptions and dispensing records at the request', async () => {
    const res = await authorise(pki.practitioners.valid, [detail({ documentTypes: ['contract'] })]);
    expect(res.parError?.error).toBe('invalid_authorization_details');
  });

  it('refuses unknown fields (RFC 9396) and a request without a credential', async () => {
    expect((await authorise(pki.practitioners.valid, [detail({ colour: 'red' })])).parError?.error).toBe('invalid_authorization_details');
    expect((await authorise(pki.practitioners.valid, [{ type: 'credential', documentTypes: ['e-prescription'] }])).parError?.error).toBe('invalid_authorization_details');
  });

  it('shows service, certificate, documents and until when; approval yields an 18-hour DPoP-bound token', async () => {
    const res = await authorise(pki.practitioners.valid, [detail()]);
    expect(res.parError).toBeUndefined();
    expect(res.view.signing).toMatchObject({ credentialId, documentTypes: ['e-prescription'], problem: null });
    expect(res.view.signing.certificate.issuer).toContain('TestSignCA2');
    expect(res.tokens!.token_type).toBe('DPoP');
    expect(res.tokens!.expires_in).toBeGreaterThan(18 * 3600 - 60);
    expect(res.tokens!.expires_in).toBeLessThanOrEqual(18 * 3600);
    expect(res.tokens!.authorization_details).toEqual([expect.objectContaining({ credentialID: credentialId, documentTypes: ['e-prescription'] })]);
  });
});

describe('signHash', () => {
  let accessToken: string;
  beforeAll(async () => {
    accessToken = (await authorise(pki.practitioners.valid, [detail({ numSignatures: 5 })])).tokens!.access_token;
  });

  it('lists the credential and returns its certificate chain', async () => {
    const url = `${t.url}/csc/v2/credentials/info`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `DPoP ${accessToken}`, dpop: await ehr.dpopProof('POST', `${t.portal.env.publicUrl}/csc/v2/credentials/info`, accessToken) },
      body: JSON.stringify({ credentialID: credentialId, certificates: 'chain', certInfo: true }),
    });
    const info = await res.json();
    expect(info.cert.certificates).toHaveLength(3);
    expect(info.key.algo).toContain(RSA);
  });

  it('signs hashes; each signature verifies with the second certificate; every signature is audited', async () => {
    const hashes = [prescription(1), prescription(2)];
    const res = await signHash(accessToken, hashBody(hashes));
    expect(res.status).toBe(200);
    const credential = await t.portal.prisma.signingCredential.findUniqueOrThrow({ where: { id: credentialId } });
    const key = new crypto.X509Certificate(credential.certificate!).publicKey;
    res.body.signatures!.forEach((sig, i) => {
      expect(crypto.verify('sha256', Buffer.from(`e-prescription #${i + 1}`), key, Buffer.from(sig, 'base64'))).toBe(true);
    });
    const audited = await t.portal.prisma.auditEvent.findMany({ where: { event: 'signature', result: 'success' } });
    expect(audited.map((a) => (a.details as { hash: string }).hash)).toEqual(hashes.map((h) => h.toString('base64')));
    expect(audited[0]).toMatchObject({ practitionerId: doctorId, clientId: ehr.clientId });
    expect(audited[0]!.details).toMatchObject({ documentType: 'e-prescription' });
  });

  it.each([
    ['no DPoP proof', { noProof: true }, 401, 'signing_dpop_invalid'],
    ['a proof made with another key', { key: 'other' as const }, 401, 'signing_dpop_invalid'],
    ['the token as a bearer token', { scheme: 'Bearer' }, 401, 'signing_dpop_invalid'],
  ])('refuses %s', async (_name, options, status, code) => {
    const res = await signHash(accessToken, hashBody([prescription(3)]), options);
    expect(res).toMatchObject({ status, body: { error: code } });
  });

  it.each([
    ['a document type not authorised', { documentType: 'dispensing-record' }, 'signing_document_type_not_allowed'],
    ['a hash of the wrong length', { hashes: [Buffer.alloc(20).toString('base64')] }, 'signing_hash_invalid'],
    ['an unsupported hash algorithm', { hashAlgorithmOID: '1.3.14.3.2.26' }, 'signing_hash_invalid'],
    ['a signature algorithm the key cannot make', { signAlgo: '1.2.840.10045.4.3.2' }, 'signing_hash_invalid'],
    ['another practitioner’s credential', () => ({ credentialID: other.credentialId }), 'signing_credential_not_authorised'],
    ['a credential ID with control characters (found by the fuzz run)', { credentialID: 'H\u0000\u001b' }, 'signing_hash_invalid'],
  ] as const)('refuses %s, signing nothing', async (_name, extra, code) => {
    const before = await t.portal.prisma.auditEvent.count({ where: { event: 'signature', result: 'success' } });
    const res = await signHash(accessToken, hashBody([prescription(4)], typeof extra === 'function' ? extra() : extra));
    expect(res.body.error).toBe(code);
    expect(res.body.signatures).toBeUndefined();
    expect(await t.portal.prisma.auditEvent.count({ where: { event: 'signature', result: 'success' } })).toBe(before);
  });

  it('refuses more hashes than authorised (5 in all)', async () => {
    const res = await signHash(accessToken, hashBody([prescription(5), prescription(6), prescription(7), prescription(8)]));
    expect(res.body.error).toBe('signing_not_authorised');
    expect((await signHash(accessToken, hashBody([prescription(9), prescription(10), prescription(11)]))).status).toBe(200);
    expect((await signHash(accessToken, hashBody([prescription(12)]))).body.error).toBe('signing_not_authorised');
  });

  it('a DPoP proof counts once: replayed, or sent ten times at once, only its first use signs', async () => {
    const token = (await authorise(pki.practitioners.valid, [detail({ numSignatures: 20 })])).tokens!.access_token;
    const proof = await signHashProof(token);
    expect((await signHash(token, hashBody([prescription(20)]), { proof })).status).toBe(200);
    expect(await signHash(token, hashBody([prescription(21)]), { proof })).toMatchObject({ status: 401, body: { error: 'signing_dpop_invalid' } });
    const fresh = await signHashProof(token);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => signHash(token, hashBody([prescription(30 + i)]), { proof: fresh })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401 && r.body.error === 'signing_dpop_invalid')).toHaveLength(9);
  });

  it('ten parallel calls against an authorisation of 5 signatures: exactly 5 sign', async () => {
    const token = (await authorise(pki.practitioners.valid, [detail({ numSignatures: 5 })])).tokens!.access_token;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => signHash(token, hashBody([prescription(50 + i)]))));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.body.error === 'signing_not_authorised')).toHaveLength(5);
  });

  it('refuses a locked practitioner', async () => {
    const token = (await authorise(pki.practitioners.valid, [detail()])).tokens!.access_token;
    await t.portal.prisma.practitioner.update({ where: { id: doctorId }, data: { lockedAt: new Date() } });
    try {
      expect((await signHash(token, hashBody([prescription(13)]))).body.error).toBe('practitioner_locked');
    } finally {
      await t.portal.prisma.practitioner.update({ where: { id: doctorId }, data: { lockedAt: null } });
    }
  });

  it('refuses after the window expires', async () => {
    const res = await authorise(pki.practitioners.valid, [detail()]);
    const token = res.tokens!.access_token;
    await t.portal.prisma.signingAuthorisation.updateMany({ where: { practitionerId: doctorId, revokedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await signHash(token, hashBody([prescription(14)]))).body.error).toBe('signing_not_authorised');
  });

  it('refuses a token of another practitioner for this credential', async () => {
    const otherToken = (await authorise(other.card, [detail()])).tokens!.access_token;
    expect((await signHash(otherToken, hashBody([prescription(15)]))).body.error).toBe('signing_credential_not_authorised');
  });

  it('a consent keeps its own window: the logout of the browser that gave it and the end of its SSO session do not stop signing', async () => {
    const consent = await authorise(pki.practitioners.valid, [detail()]);
    const token = consent.tokens!.access_token;
    expect((await signHash(token, hashBody([prescription(100)]))).status).toBe(200);
    // The physician logs out at the terminal: the SSO session ends, the day's signing consent does not.
    const logout = await consent.jar!.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(logout.status).toBe(303);
    expect((await signHash(token, hashBody([prescription(101)]))).status).toBe(200);
    // Every SSO session of this practitioner past its 12 hours: still within the consent's window.
    await t.portal.prisma.oidcPayload.deleteMany({ where: { model: 'Session', payload: { path: ['accountId'], equals: doctorId } } });
    expect((await signHash(token, hashBody([prescription(102)]))).status).toBe(200);
  });

  it('revocation on the portal stops signing at once', async () => {
    const token = (await authorise(pki.practitioners.valid, [detail()])).tokens!.access_token;
    expect((await signHash(token, hashBody([prescription(16)]))).status).toBe(200);
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const active = await t.portal.prisma.signingAuthorisation.findMany({ where: { practitionerId: doctorId, revokedAt: null, expiresAt: { gt: new Date() } } });
    for (const a of active) {
      const res = await jar.fetch(`${t.url}/api/signing/authorisations/${a.grantId}/revoke`, jsonPost({}, { origin: t.url }));
      expect(res.status).toBe(200);
    }
    const after = await signHash(token, hashBody([prescription(17)]));
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('signing_token_invalid');
  });

  it('refuses when the key store is unavailable, signing nothing', async () => {
    const token = (await authorise(pki.practitioners.valid, [detail()])).tokens!.access_token;
    const store = t.portal.keyStores.keyStoreFor('software');
    const original = store.signDigest.bind(store);
    const { KeyStoreError } = await import('../../src/signing/key-store.ts');
    store.signDigest = async () => {
      throw new KeyStoreError('key_store_unavailable', 'test: token removed');
    };
    try {
      const res = await signHash(token, hashBody([prescription(18)]));
      expect(res).toMatchObject({ status: 503, body: { error: 'key_store_unavailable' } });
    } finally {
      store.signDigest = original;
    }
  });
});

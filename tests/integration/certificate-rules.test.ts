import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { finishAuthorization, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { importTrustMaterial } from '../../src/pki/trust/trust-material-repository.ts';
import { OID } from '../../src/pki/oids.ts';
import {
  createHpkiTestPki,
  FOREIGN_HCROLE_SCHEME,
  issueCertificate,
  issueCrl,
  issueNonConformingCertificates,
  issuePractitionerCertificate,
  testCaName,
  type HpkiTestPki,
  type IssuedCertificate,
  type NonConformingCertificates,
  type NonConformingVariant,
} from '../../src/pki/test-pki/index.ts';

/**
 * Issue 13 through the card login endpoint (auto-enrolment on): each certificate rule refuses with
 * its code and never a server error; unknown roles reach the claim marked; service policy compares
 * (scheme, value); revocation codes are the covering source's; the settings reach the logins.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let nc: NonConformingCertificates;
const DAY = 86400_000;
const HPKI_SCHEME = '1.2.392.100495.1.6.1.1';
const redirectUri = 'http://localhost:9/cb';

async function service(portal: TestPortal, clientId: string, metadata: Record<string, unknown> = {}) {
  const { clientSecret } = await upsertClient(portal.portal.prisma, { clientId, name: clientId, redirectUris: [redirectUri] });
  const row = await portal.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId } });
  await portal.portal.prisma.oidcClient.update({ where: { clientId }, data: { metadata: JSON.parse(JSON.stringify({ ...(row.metadata as object), ...metadata })) } });
  return { id: clientId, secret: clientSecret, redirectUri };
}

async function cardLogin(portal: TestPortal, client: { id: string; secret: string; redirectUri: string }, card: IssuedCertificate, algorithm?: string) {
  const login = await beginLoginInteraction(portal.url, client);
  const { nonce } = await (await login.jar.fetch(`${portal.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(card, { origin: portal.portal.rp.origin, nonce, algorithm });
  const res = await login.jar.fetch(`${portal.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  return { login, status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let anyService: { id: string; secret: string; redirectUri: string };

beforeAll(async () => {
  t = await startTestPortal('certificate-rules', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  nc = await issueNonConformingCertificates(pki);
  await importTestPki(t.portal.prisma, pki);
  // The CA without policy is a strong CA certificate and may be stored; the RSA-1024 CA may not (see trust-material-import).
  await importTrustMaterial(t.portal.prisma, { scheme: 'hpki', intermediates: [nc.caWithoutPolicy.der], crls: [{ input: nc.crls[1]!.der, source: 'test' }] });
  anyService = await service(t, 'any-service');
}, 90_000);
afterAll(() => t?.close());

describe('certificate rules at the card login endpoint', () => {
  const refusals: Array<[string, NonConformingVariant, string]> = [
    ['an RSA-1024 card (rule 2)', 'rsa1024', 'certificate_key_too_weak'],
    ['"Medical Doctor" under a foreign coding scheme (rule 1)', 'foreignScheme', 'hcrole_scheme_unknown'],
    ['a foreign-scheme role next to an HPKI one (rule 1)', 'mixedSchemes', 'hcrole_scheme_unknown'],
    ['inner and outer signature algorithms that differ (rule 3)', 'signatureAlgorithmMismatch', 'certificate_signature_algorithm_mismatch'],
    ['an authentication certificate from the signing CA (rule 4)', 'fromSigningCa', 'certificate_issuer_not_authentication_ca'],
    ['a certificate from a CA without authentication policy (rule 4)', 'fromCaWithoutPolicy', 'certificate_issuer_not_authentication_ca'],
    ['a certificate signed directly by the root (rule 4)', 'fromRoot', 'certificate_issued_by_anchor'],
    ['a critical subjectDirectoryAttributes (rule 5)', 'criticalDirectoryAttributes', 'certificate_extension_invalid'],
    ['ESC in the kanji name (rule 7)', 'escapeInKanjiName', 'certificate_name_invalid'],
    ['U+0000 in a CRL distribution point (rule 7)', 'nulInCrlUrl', 'certificate_name_invalid'],
    ['a v1 certificate with extensions (rule 8)', 'v1WithExtensions', 'certificate_version_invalid'],
    ['a v2 certificate with extensions (rule 8)', 'v2WithExtensions', 'certificate_version_invalid'],
  ];
  it.each(refusals)('refuses %s with %s', async (_name, variant, code) => {
    const res = await cardLogin(t, anyService, nc.certificates[variant]);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe(code);
    expect(String(res.body.message).length).toBeGreaterThan(10);
  });

  it('refuses U+0000 in the name at validation with a code, and enrols nobody (no HTTP 500 from the database)', async () => {
    const before = await t.portal.prisma.practitioner.count();
    const res = await cardLogin(t, anyService, nc.certificates.nulInCommonName);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('certificate_name_invalid');
    expect(await t.portal.prisma.practitioner.count()).toBe(before);
    expect(await t.portal.prisma.practitionerCertificate.count({ where: { subjectSerialNumber: 'Test130012' } })).toBe(0);
  });

  it('audits each refusal with its code', async () => {
    const codes = new Set((await t.portal.prisma.auditEvent.findMany({ where: { method: 'hpki-card', result: 'failure' } })).map((e) => e.errorCode));
    for (const [, , code] of refusals) expect(codes).toContain(code);
    expect(codes).toContain('certificate_name_invalid');
  });

  it('logs in with P-384, P-521, RSA-3072 cards and with a CA name spelled in other case (rules 2, 10)', async () => {
    for (const [variant, algorithm] of [['acceptedP384', 'ES384'], ['acceptedP521', 'ES512'], ['acceptedRsa3072', 'RS256'], ['issuerNameInOtherCase', 'ES256']] as const) {
      const res = await cardLogin(t, anyService, nc.certificates[variant], algorithm);
      expect([res.status, res.body.error], variant).toEqual([200, undefined]);
    }
  });
});

describe('unknown roles in the claim (rule 12)', () => {
  it('passes an unknown HPKI role string through to the ID token, marked known: false', async () => {
    const res = await cardLogin(t, anyService, nc.certificates.unknownRole);
    expect(res.status).toBe(200);
    const { claims } = await finishAuthorization(res.login.jar, t.url, String(res.body.redirectTo), anyService, res.login.verifier);
    expect(claims.hcRole).toEqual([{ role: 'Chief Wizard', codingScheme: HPKI_SCHEME, displayJa: 'Chief Wizard', displayEn: 'Chief Wizard', known: false, confirmed: false }]);
  });

  it('marks a table role known: true (and confirmed for the verified Medical Doctor)', async () => {
    const res = await cardLogin(t, anyService, pki.practitioners.valid);
    const { claims } = await finishAuthorization(res.login.jar, t.url, String(res.body.redirectTo), anyService, res.login.verifier);
    expect(claims.hcRole).toEqual([{ role: 'Medical Doctor', codingScheme: HPKI_SCHEME, displayJa: '医師', displayEn: 'Medical Doctor', known: true, confirmed: true }]);
  });
});

describe('service policy compares (scheme, value) (rule 1)', () => {
  /** A practitioner whose record holds the given roles, with a registered passkey; logs in to `client`. */
  async function passkeyLogin(registrationNumber: string, hcRoles: Array<{ role: string; codingScheme: string }>, client: { id: string; secret: string; redirectUri: string }) {
    const p = await createPractitioner(t.portal.prisma, { registrationNumber, familyName: 'Kiroku', givenName: 'Taro', birthDate: '1980-04-01', hcRoles });
    const phone = new SoftwareAuthenticator(t.portal.rp.origin);
    const { code } = await issueRegistrationCode(t.portal.prisma, p.id);
    const { options: registration } = await (await fetch(`${t.url}/api/register/${code}/password`, jsonPost({ password: '19800401' }))).json();
    expect((await fetch(`${t.url}/api/register/${code}/passkey`, jsonPost({ response: phone.register(registration) }))).status).toBe(200);
    const login = await beginLoginInteraction(t.url, client);
    const options = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/passkey/options`, jsonPost({}))).json();
    const verify = await login.jar.fetch(`${t.url}/interaction/${login.uid}/passkey/verify`, jsonPost(phone.authenticate(options)));
    return { login, status: verify.status, body: (await verify.json()) as Record<string, unknown> };
  }

  it('a record with "Medical Doctor" under a foreign scheme does not pass a Medical-Doctor-only service', async () => {
    const doctorsOnly = await service(t, 'doctors-only', { allowed_hc_roles: ['Medical Doctor'] });
    const foreign = await passkeyLogin('SCHEME-1', [{ role: 'Medical Doctor', codingScheme: FOREIGN_HCROLE_SCHEME }], doctorsOnly);
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toBe('service_hcrole_required');
    const genuine = await passkeyLogin('SCHEME-2', [{ role: 'Medical Doctor', codingScheme: HPKI_SCHEME }], doctorsOnly);
    expect(genuine.status).toBe(200);
  });

  it('never releases a foreign-scheme role in the claim', async () => {
    const res = await passkeyLogin('SCHEME-3', [{ role: 'Medical Doctor', codingScheme: FOREIGN_HCROLE_SCHEME }, { role: 'Pharmacist', codingScheme: HPKI_SCHEME }], anyService);
    expect(res.status).toBe(200);
    const { claims } = await finishAuthorization(res.login.jar, t.url, String(res.body.redirectTo), anyService, res.login.verifier);
    expect((claims.hcRole as Array<{ role: string; codingScheme: string }>).map((r) => [r.role, r.codingScheme])).toEqual([['Pharmacist', HPKI_SCHEME]]);
  });
});

describe('revocation codes that tell the truth (rule 11)', () => {
  it('a card naming no OCSP responder whose CA has an out-of-date CRL is refused with crl_expired, not ocsp_unavailable', async () => {
    const validity = { notBefore: new Date(Date.now() - 100 * DAY), notAfter: new Date(Date.now() + 100 * DAY) };
    const staleCa = await issueCertificate({ subject: testCaName('HPKI-01-StaleAuthCA-forAuthentication'), issuer: pki.root, keyAlgorithm: 'ecdsa-p256', ca: { pathLength: 0 }, policies: [OID.hpkiAuthenticationCaPolicy], ...validity });
    const expiredCrl = await issueCrl({ issuer: staleCa, thisUpdate: new Date(Date.now() - 10 * DAY), nextUpdate: new Date(Date.now() - DAY) });
    const silentCa = await issueCertificate({ subject: testCaName('HPKI-01-SilentAuthCA-forAuthentication'), issuer: pki.root, keyAlgorithm: 'ecdsa-p256', ca: { pathLength: 0 }, policies: [OID.hpkiAuthenticationCaPolicy], ...validity });
    await importTrustMaterial(t.portal.prisma, { scheme: 'hpki', intermediates: [staleCa.der, silentCa.der], crls: [{ input: expiredCrl.der, source: 'test' }] });
    t.portal.trust.invalidate('hpki');
    expect(t.portal.env.ocsp).toBe(true);
    const card = (issuer: IssuedCertificate) => issuePractitionerCertificate({ issuer, kind: 'authentication', keyAlgorithm: 'ecdsa-p256', hcRoles: [{ role: 'Medical Doctor' }], ...validity });
    const stale = await cardLogin(t, anyService, await card(staleCa));
    expect(stale.body.error).toBe('crl_expired');
    const missing = await cardLogin(t, anyService, await card(silentCa));
    expect(missing.body.error).toBe('crl_missing');
  });
});

describe('settings reach the logins', () => {
  let relaxed: TestPortal;
  beforeAll(async () => {
    relaxed = await startTestPortal('certificate-rules-relaxed', { env: { HPKI_AUTO_ENROL: 'true', HPKI_ALLOW_LEAF_FROM_ROOT: 'true' } });
    await importTestPki(relaxed.portal.prisma, pki);
  }, 60_000);
  afterAll(() => relaxed?.close());

  it('HPKI_ALLOW_LEAF_FROM_ROOT=true lets a certificate signed by the root log in; the other rules stay', async () => {
    const client = await service(relaxed, 'relaxed-service');
    expect((await cardLogin(relaxed, client, nc.certificates.fromRoot)).status).toBe(200);
    expect((await cardLogin(relaxed, client, nc.certificates.fromSigningCa)).body.error).toBe('certificate_issuer_not_authentication_ca');
    expect((await cardLogin(relaxed, client, nc.certificates.rsa1024)).body.error).toBe('certificate_key_too_weak');
  });
});

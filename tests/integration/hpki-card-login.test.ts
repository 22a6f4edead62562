import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import {
  createHpkiTestPki,
  issueCertificate,
  issuePractitionerCertificate,
  testCaName,
  type HpkiTestPki,
  type IssuedCertificate,
} from '../../src/pki/test-pki/index.ts';
import { importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { ocspResponderHandler, startOcspHttpServer, type OcspAnswer } from '../../src/pki/test-pki/ocsp-responder.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { legacyJwsToken, webEidToken } from '../support/card-tokens.ts';

/** HPKI card login over HTTP, with tokens signed by test card keys: every bad input has its code. */
let t: TestPortal;
let pki: HpkiTestPki;
const client = { id: 'card-rp', secret: 'card-rp-secret-0123456789', redirectUri: 'http://localhost:9/cb' };

beforeAll(async () => {
  t = await startTestPortal('hpki-card', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'Card RP', secret: client.secret, redirectUris: [client.redirectUri] });
}, 60_000);
afterAll(() => t?.close());

const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function challenge() {
  const login = await beginLoginInteraction(t.url, client);
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, json({}));
  expect(res.status).toBe(200);
  const { nonce } = (await res.json()) as { nonce: string };
  const verify = async (body: unknown) => {
    const r = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, json(body));
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  return { ...login, nonce, verify };
}

const origin = () => t.portal.rp.origin;

describe('HPKI card login', () => {
  it('offers the card once HPKI trust anchors are configured', async () => {
    expect(await t.portal.methods()).toContain('hpki-card');
  });

  it('issues a 256-bit base64 nonce of 44 characters', async () => {
    const { nonce } = await challenge();
    expect(nonce).toHaveLength(44);
    expect(Buffer.from(nonce, 'base64')).toHaveLength(32);
  });

  it.each([
    ['legacy JWS, RSA', 'valid', 'jws'],
    ['web-eid:1.0, RSA', 'valid', 'web-eid'],
    ['web-eid:1.0, ECDSA P-256', 'validEcdsa', 'web-eid'],
    ['legacy JWS, ECDSA P-256', 'validEcdsa', 'jws'],
  ] as const)('accepts %s and completes the login', async (_name, variant, format) => {
    const c = await challenge();
    const card = pki.practitioners[variant];
    const token = format === 'jws' ? await legacyJwsToken(card, { origin: origin(), nonce: c.nonce }) : await webEidToken(card, { origin: origin(), nonce: c.nonce });
    const res = await c.verify({ nonce: c.nonce, token });
    expect(res.status).toBe(200);
    expect(String(res.body.redirectTo)).toContain('/oidc/auth/');
  });

  it('also accepts the current token as a JSON string', async () => {
    const c = await challenge();
    const token = JSON.stringify(await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce }));
    expect((await c.verify({ nonce: c.nonce, token })).status).toBe(200);
  });

  it('ten simultaneous first logins with the same new card enrol one practitioner, all succeed', async () => {
    const card = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      hcRoles: [{ role: 'Medical Doctor' }],
      practitioner: { romanisedName: 'Saburo Heiretsu', kanjiFamilyName: '並列', kanjiGivenName: '三郎', facilityEn: 'X', facilityJa: 'X', hpkiId: 'Test000321' },
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 30 * 86400_000),
    });
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const c = await challenge();
        return c.verify({ nonce: c.nonce, token: await webEidToken(card, { origin: origin(), nonce: c.nonce }) });
      }),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await t.portal.prisma.practitioner.count({ where: { registrationNumber: 'hpki:Test000321' } })).toBe(1);
  });

  it('enrols the holder from the certificate and records what it proved', async () => {
    const cert = await t.portal.prisma.practitionerCertificate.findFirstOrThrow({ include: { practitioner: true } });
    expect(cert.practitioner.familyName).toBe('Iryo');
    expect(cert.practitioner.familyNameKanji).toBe('医療');
    expect(cert.hcRoles).toEqual([{ role: 'Medical Doctor', codingScheme: '1.2.392.100495.1.6.1.1' }]);
    const evidence = await t.portal.prisma.loginEvidence.findFirstOrThrow({ where: { method: 'hpki-card' } });
    expect(evidence.certificate).toMatchObject({ serialNumber: expect.stringMatching(/^[0-9a-f]+$/) });
  });
});

describe("a known card's later logins (one statement: useKnownCertificate) and the slow path's cases", () => {
  const person = { romanisedName: 'Shiro Kioku', kanjiFamilyName: '記憶', kanjiGivenName: '四郎', facilityEn: 'X', facilityJa: 'X', hpkiId: 'Test000888' };
  const issue = (role: string) =>
    issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      hcRoles: [{ role }],
      practitioner: person,
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 30 * 86400_000),
    });
  const logIn = async (card: IssuedCertificate) => {
    const c = await challenge();
    return c.verify({ nonce: c.nonce, token: await webEidToken(card, { origin: origin(), nonce: c.nonce }) });
  };
  let doctorCard: IssuedCertificate;
  const holder = () => t.portal.prisma.practitioner.findUniqueOrThrow({ where: { registrationNumber: 'hpki:Test000888' }, include: { certificates: { orderBy: { createdAt: 'asc' } } } });
  const roles = async () => ((await holder()).hcRoles as { role: string }[]).map((r) => r.role).sort();

  it('marks the certificate used at every login, keeps one row per certificate, and records each login', async () => {
    const doctor = (doctorCard = await issue('Medical Doctor'));
    expect((await logIn(doctor)).status).toBe(200);
    const first = (await holder()).certificates;
    expect(first).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 5));
    expect((await logIn(doctor)).status).toBe(200);
    const second = await holder();
    expect(second.certificates).toHaveLength(1);
    expect(second.certificates[0]!.lastUsedAt!.getTime()).toBeGreaterThan(first[0]!.lastUsedAt!.getTime());
    expect(await roles()).toEqual(['Medical Doctor']);
    expect(await t.portal.prisma.loginEvidence.count({ where: { practitionerId: second.id, method: 'hpki-card' } })).toBe(2);
  });

  it('a renewed card proving another role adds it to the record; afterwards both cards log in, neither drops a role', async () => {
    const doctor = (await holder()).certificates[0]!;
    const pharmacist = await issue('Pharmacist');
    expect((await logIn(pharmacist)).status).toBe(200);
    expect(await roles()).toEqual(['Medical Doctor', 'Pharmacist']);
    expect((await holder()).certificates).toHaveLength(2);
    expect((await logIn(pharmacist)).status).toBe(200);
    expect(await roles()).toEqual(['Medical Doctor', 'Pharmacist']);
    // The login's own evidence names the role of the card used, not the record's.
    const evidence = await t.portal.prisma.loginEvidence.findFirstOrThrow({ where: { practitionerId: doctor.practitionerId }, orderBy: { createdAt: 'desc' } });
    expect(evidence.hcRoles).toEqual([{ role: 'Pharmacist', codingScheme: '1.2.392.100495.1.6.1.1' }]);
  });

  it('a locked holder is refused and the certificate is not marked used', async () => {
    const before = await holder();
    await t.portal.prisma.practitioner.update({ where: { id: before.id }, data: { lockedAt: new Date() } });
    try {
      // A known certificate of the locked person, and a renewed one found through the subject serialNumber.
      for (const card of [doctorCard, await issue('Medical Doctor')]) {
        expect(await logIn(card)).toMatchObject({ status: 403, body: { error: 'practitioner_locked' } });
      }
      const after = await holder();
      expect(after.certificates.map((c) => c.lastUsedAt?.getTime())).toEqual(before.certificates.map((c) => c.lastUsedAt?.getTime()));
    } finally {
      await t.portal.prisma.practitioner.update({ where: { id: before.id }, data: { lockedAt: null } });
    }
  });

  it('useKnownCertificate: an unknown fingerprint or one of a locked holder reads nothing and writes nothing', async () => {
    const { useKnownCertificate } = await import('../../src/practitioners/certificate-use.ts');
    const known = (await holder()).certificates[0]!;
    expect(await useKnownCertificate(t.portal.sql, 'f'.repeat(64), new Date())).toBeNull();
    expect(await useKnownCertificate(t.portal.sql, "x' OR '1'='1", new Date())).toBeNull();
    const at = new Date(Date.now() + 60_000);
    expect(await useKnownCertificate(t.portal.sql, known.fingerprint, at)).toEqual({ practitionerId: known.practitionerId, hcRoles: expect.any(Array) });
    expect((await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: known.fingerprint } })).lastUsedAt!.getTime()).toBe(at.getTime());
    await t.portal.prisma.practitioner.update({ where: { id: known.practitionerId }, data: { lockedAt: new Date() } });
    try {
      expect(await useKnownCertificate(t.portal.sql, known.fingerprint, new Date(Date.now() + 120_000))).toBeNull();
      expect((await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: known.fingerprint } })).lastUsedAt!.getTime()).toBe(at.getTime());
    } finally {
      await t.portal.prisma.practitioner.update({ where: { id: known.practitionerId }, data: { lockedAt: null } });
    }
  });
});

describe('HPKI card login refuses bad input with a stable code', () => {
  const certificateCases: [string, keyof HpkiTestPki['practitioners'], string][] = [
    ['an expired certificate', 'expired', 'certificate_expired'],
    ['a not-yet-valid certificate', 'notYetValid', 'certificate_not_yet_valid'],
    ['a revoked certificate', 'revoked', 'certificate_revoked'],
    ['a certificate of an untrusted CA', 'untrustedIssuer', 'certificate_untrusted'],
    ['a self-signed certificate', 'selfSigned', 'certificate_untrusted'],
    ['a signing certificate', 'signing', 'certificate_signing_not_allowed'],
    ['a malformed hcRole', 'malformedHcRole', 'hcrole_malformed'],
  ];
  it.each(certificateCases)('%s → %s', async (_name, variant, code) => {
    const c = await challenge();
    const res = await c.verify({ nonce: c.nonce, token: await webEidToken(pki.practitioners[variant], { origin: origin(), nonce: c.nonce }) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error).toBe(code);
    expect(String(res.body.message).length).toBeGreaterThan(10);
  });

  it('a token that is neither JSON nor a JWS → card_token_invalid', async () => {
    const c = await challenge();
    expect((await c.verify({ nonce: c.nonce, token: 'hello there' })).body.error).toBe('card_token_invalid');
  });

  it('broken JSON → card_token_invalid', async () => {
    const c = await challenge();
    expect((await c.verify({ nonce: c.nonce, token: '{"format":"web-eid:1.0",' })).body.error).toBe('card_token_invalid');
  });

  it('bad base64 in the certificate or signature → card_token_invalid', async () => {
    const c = await challenge();
    const token = await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce });
    expect((await c.verify({ nonce: c.nonce, token: { ...token, unverifiedCertificate: '***not base64***' } })).body.error).toBe('card_token_invalid');
    const d = await challenge();
    const token2 = await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: d.nonce });
    expect((await d.verify({ nonce: d.nonce, token: { ...token2, signature: `${token2.signature}@@` } })).body.error).toBe('card_token_invalid');
  });

  it('a replayed nonce → card_challenge_invalid', async () => {
    const c = await challenge();
    const token = await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce });
    expect((await c.verify({ nonce: c.nonce, token })).status).toBe(200);
    const again = await challenge();
    const res = await again.verify({ nonce: c.nonce, token });
    expect(res.body.error).toBe('card_challenge_invalid');
  });

  it('a nonce the server never issued → card_challenge_invalid', async () => {
    const c = await challenge();
    const fake = Buffer.alloc(32, 7).toString('base64');
    const res = await c.verify({ nonce: fake, token: await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: fake }) });
    expect(res.body.error).toBe('card_challenge_invalid');
  });

  it('an expired nonce → card_challenge_invalid', async () => {
    const c = await challenge();
    await t.portal.prisma.challenge.updateMany({ where: { purpose: 'hpki-card', consumedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await c.verify({ nonce: c.nonce, token: await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce }) });
    expect(res.body.error).toBe('card_challenge_invalid');
  });

  it('the legacy token naming another nonce → card_challenge_invalid', async () => {
    const c = await challenge();
    const res = await c.verify({ nonce: c.nonce, token: await legacyJwsToken(pki.practitioners.valid, { origin: origin(), nonce: 'x'.repeat(44) }) });
    expect(res.body.error).toBe('card_challenge_invalid');
  });

  it('a signature for another origin → card_signature_invalid (current) / card_origin_mismatch (legacy)', async () => {
    const c = await challenge();
    const current = await c.verify({ nonce: c.nonce, token: await webEidToken(pki.practitioners.valid, { origin: 'https://evil.example', nonce: c.nonce }) });
    expect(current.body.error).toBe('card_signature_invalid');
    const d = await challenge();
    const legacy = await d.verify({ nonce: d.nonce, token: await legacyJwsToken(pki.practitioners.valid, { origin: 'https://evil.example', nonce: d.nonce }) });
    expect(legacy.body.error).toBe('card_origin_mismatch');
  });

  it('a signature by another key than the certificate’s → card_signature_invalid', async () => {
    const c = await challenge();
    const other: IssuedCertificate = pki.practitioners.noHcRole;
    const token = await webEidToken(other, { origin: origin(), nonce: c.nonce, certificate: pki.practitioners.valid });
    expect((await c.verify({ nonce: c.nonce, token })).body.error).toBe('card_signature_invalid');
    const d = await challenge();
    const jws = await legacyJwsToken(other, { origin: origin(), nonce: d.nonce, x5c: [Buffer.from(pki.practitioners.valid.der).toString('base64')] });
    expect((await d.verify({ nonce: d.nonce, token: jws })).body.error).toBe('card_signature_invalid');
  });

  it('algorithm none or one not allowed → card_algorithm_not_allowed', async () => {
    const c = await challenge();
    const x5c = Buffer.from(pki.practitioners.valid.der).toString('base64');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', x5c: [x5c] })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ nonce: c.nonce, aud: origin(), iat: 1, exp: 9999999999 })).toString('base64url');
    expect((await c.verify({ nonce: c.nonce, token: `${header}.${payload}.` })).body.error).toBe('card_algorithm_not_allowed');
    const d = await challenge();
    const hs = await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: d.nonce });
    expect((await d.verify({ nonce: d.nonce, token: { ...hs, algorithm: 'HS256' } })).body.error).toBe('card_algorithm_not_allowed');
  });

  it('an expired legacy token → card_token_expired', async () => {
    const c = await challenge();
    const iat = Math.floor(Date.now() / 1000) - 3600;
    const res = await c.verify({ nonce: c.nonce, token: await legacyJwsToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce, iat, exp: iat + 300 }) });
    expect(res.body.error).toBe('card_token_expired');
  });

  it('a truncated certificate → certificate_malformed; a 1 MB one → card_token_invalid before parsing', async () => {
    const c = await challenge();
    const token = await webEidToken(pki.practitioners.valid, { origin: origin(), nonce: c.nonce });
    const truncated = Buffer.from(pki.practitioners.valid.der.slice(0, 200)).toString('base64');
    const res = await c.verify({ nonce: c.nonce, token: { ...token, unverifiedCertificate: truncated } });
    expect(res.body.error).toBe('certificate_malformed');
    const d = await challenge();
    const huge = Buffer.alloc(40_000, 1).toString('base64');
    const res2 = await d.verify({ nonce: d.nonce, token: { ...token, unverifiedCertificate: huge } });
    expect(res2.status).toBe(400);
    expect(res2.body.error).toBe('card_token_invalid');
  });

  it('a body that is not { nonce, token } → card_token_invalid; 1 MB → payload_too_large', async () => {
    const c = await challenge();
    expect((await c.verify({ token: 1 })).body.error).toBe('card_token_invalid');
    expect((await c.verify({ nonce: c.nonce, token: 'x'.repeat(1024 * 1024) })).body.error).toBe('payload_too_large');
  });

  it('an unknown holder without auto-enrolment → certificate_not_enrolled', async () => {
    const stranger = await issuePractitionerCertificate({
      issuer: pki.authCa,
      kind: 'authentication',
      hcRoles: [{ role: 'Dentist' }],
      practitioner: {
        romanisedName: 'Hanako Shika',
        kanjiFamilyName: '歯科',
        kanjiGivenName: '花子',
        facilityEn: 'HPKI TEST DENTAL CLINIC',
        facilityJa: 'HPKIテスト歯科医院',
        hpkiId: 'Test000777',
      },
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
    });
    t.portal.env.hpkiAutoEnrol = false;
    try {
      const c = await challenge();
      const res = await c.verify({ nonce: c.nonce, token: await webEidToken(stranger, { origin: origin(), nonce: c.nonce }) });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('certificate_not_enrolled');
    } finally {
      t.portal.env.hpkiAutoEnrol = true;
    }
  });

  it('a chain longer than allowed → certificate_chain_too_long', async () => {
    const validity = { notBefore: new Date(Date.now() - 86400_000), notAfter: new Date(Date.now() + 30 * 86400_000) };
    let issuer = pki.root;
    for (const level of [1, 2, 3]) {
      issuer = await issueCertificate({ subject: testCaName(`Deep CA ${level}`), issuer, keyAlgorithm: 'ecdsa-p256', ca: {}, ...validity });
      await importTrustCertificates(t.portal.prisma, 'hpki', 'intermediate', issuer.der);
    }
    t.portal.trust.invalidate('hpki');
    const deep = await issuePractitionerCertificate({ issuer, kind: 'authentication', keyAlgorithm: 'ecdsa-p256', hcRoles: [{ role: 'Medical Doctor' }], ...validity });
    const c = await challenge();
    const res = await c.verify({ nonce: c.nonce, token: await webEidToken(deep, { origin: origin(), nonce: c.nonce }) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('certificate_chain_too_long');
  });

  it('asks the OCSP responder the certificate names: revoked there is refused although the CRL says nothing', async () => {
    let answer: OcspAnswer = { status: 'revoked', revokedAt: new Date(Date.now() - 60_000) };
    const responder = await startOcspHttpServer(ocspResponderHandler(() => ({ issuer: pki.authCa, answer })));
    try {
      const validity = { notBefore: new Date(Date.now() - 86400_000), notAfter: new Date(Date.now() + 30 * 86400_000) };
      const card = await issuePractitionerCertificate({ issuer: pki.authCa, kind: 'authentication', hcRoles: [{ role: 'Medical Doctor' }], ocspUrl: responder.url, ...validity });
      const c = await challenge();
      const refused = await c.verify({ nonce: c.nonce, token: await webEidToken(card, { origin: origin(), nonce: c.nonce }) });
      expect(refused.body.error).toBe('certificate_revoked');
      answer = { status: 'good' };
      const d = await challenge();
      expect((await d.verify({ nonce: d.nonce, token: await webEidToken(card, { origin: origin(), nonce: d.nonce }) })).status).toBe(200);
    } finally {
      await responder.close();
    }
  });

  it('audits every refused attempt with its code', async () => {
    const codes = (await t.portal.prisma.auditEvent.findMany({ where: { method: 'hpki-card', result: 'failure' } })).map((e) => e.errorCode);
    for (const code of [
      'certificate_revoked',
      'certificate_expired',
      'certificate_not_yet_valid',
      'certificate_untrusted',
      'certificate_signing_not_allowed',
      'certificate_chain_too_long',
      'certificate_malformed',
      'hcrole_malformed',
      'card_token_invalid',
      'card_challenge_invalid',
      'card_signature_invalid',
      'card_origin_mismatch',
      'card_token_expired',
      'card_algorithm_not_allowed',
      'payload_too_large',
    ]) {
      expect(codes).toContain(code);
    }
  });
});

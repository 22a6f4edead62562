import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode, findRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { createJpkiTestPki, issueJpkiUserCertificate, type IssuedCertificate, type JpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importCrl, importTrustCertificates } from '../../src/pki/trust/trust-material-repository.ts';
import { jsonPost, myNumberCardProof } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';

/**
 * The first My Number Card link of a practitioner who has never had an HPKI card (seed 002): the
 * registration code and its password (the birth date) prove the person the SSO center issued it to,
 * the card — through the card bridge, bound to the portal's origin — proves possession.
 */
let t: TestPortal;
let jpki: JpkiTestPki;

beforeAll(async () => {
  // Dozens of registration requests from one address: the per-address limit is another test's subject.
  t = await startTestPortal('registration-mnc', { env: { RATE_LIMITS: 'registration-ip=100000/60' } });
  jpki = await createJpkiTestPki();
  await importTrustCertificates(t.portal.prisma, 'jpki', 'anchor', jpki.root.der);
  await importCrl(t.portal.prisma, 'jpki', jpki.rootCrl.der, 'test');
}, 60_000);
afterAll(() => t?.close());

let seq = 0;
async function practitionerWithCode() {
  const p = await createPractitioner(t.portal.prisma, { registrationNumber: `RMNC-${++seq}`, familyName: 'Kouno', givenName: 'Hana', birthDate: '1985-06-15' });
  const { code } = await issueRegistrationCode(t.portal.prisma, p.id);
  return { practitionerId: p.id, code };
}

const post = (path: string, body: unknown) => fetch(`${t.url}${path}`, jsonPost(body));

async function challenge(code: string, password = '19850615') {
  const res = await post(`/api/register/${code}/my-number-card/challenge`, { password });
  return { status: res.status, body: await res.json() };
}

async function link(code: string, card: IssuedCertificate, options: { origin?: string; page?: boolean; nonce?: string } = {}) {
  const c = await challenge(code);
  expect(c.status).toBe(200);
  const nonce = options.nonce ?? c.body.nonce;
  const body = options.page ? await myNumberCardProof(card, nonce) : { nonce, token: await webEidToken(card, { origin: options.origin ?? t.portal.rp.origin, nonce }) };
  const res = await post(`/api/register/${code}/my-number-card/link`, body);
  return { status: res.status, body: await res.json(), nonce };
}

describe('linking a My Number Card with a registration code', () => {
  it('code + birth date + the card: linked, audited, and the code is still good for the passkey', async () => {
    const { practitionerId, code } = await practitionerWithCode();
    const res = await link(code, jpki.cards.valid);
    expect(res).toMatchObject({ status: 200, body: { linked: true } });
    const row = await t.portal.prisma.myNumberCardLink.findUniqueOrThrow({ where: { practitionerId } });
    expect(row.jpkiSubject).toBe(jpki.cards.valid.certificate.subjectName.getField('CN')[0]);
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'mnc.link', practitionerId } });
    expect(audit.details).toMatchObject({ via: 'registration_code' });
    expect((await findRegistrationCode(t.portal.prisma, code))!.usedAt).toBeNull();
    expect((await post(`/api/register/${code}/password`, { password: '19850615' })).status).toBe(200);
  });

  it('a wrong birth date gets no challenge and counts toward the code’s lock', async () => {
    const { code } = await practitionerWithCode();
    const wrong = await challenge(code, '19850616');
    expect(wrong).toMatchObject({ status: 401, body: { error: 'registration_password_wrong', remaining: 4 } });
    for (let i = 0; i < 4; i++) await challenge(code, '20000101');
    expect((await challenge(code)).body.error).toBe('registration_code_locked');
    expect(await t.portal.prisma.auditEvent.count({ where: { event: 'registration.mnc_challenge', result: 'failure' } })).toBeGreaterThanOrEqual(5);
  });

  it('it makes the first link only: a practitioner who already has one is told to use the HPKI page', async () => {
    const { code } = await practitionerWithCode();
    expect((await link(code, jpki.cards.secondHolder)).status).toBe(200);
    const another = await issueJpkiUserCertificate({
      issuer: jpki.root,
      cardId: 'ANOTHER0000000000000001',
      notBefore: new Date(Date.now() - 86400_000),
      notAfter: new Date(Date.now() + 365 * 86400_000),
    });
    const again = await link(code, another);
    expect(again).toMatchObject({ status: 409, body: { error: 'jpki_link_exists' } });
  });

  it('a card linked to someone else is refused', async () => {
    const { code } = await practitionerWithCode();
    expect((await link(code, jpki.cards.valid)).body.error).toBe('jpki_linked_elsewhere');
  });

  it.each([
    ['revoked', 'certificate_revoked'],
    ['expired', 'certificate_expired'],
    ['untrustedIssuer', 'certificate_untrusted'],
  ] as const)('a %s card is refused (%s)', async (variant, code) => {
    const p = await practitionerWithCode();
    expect((await link(p.code, jpki.cards[variant])).body.error).toBe(code);
  });

  it('only the bridge’s origin-bound token: another origin and the page-made proof are refused', async () => {
    const { code } = await practitionerWithCode();
    expect((await link(code, jpki.cards.valid, { origin: 'https://relay.example' })).body.error).toBe('card_signature_invalid');
    expect((await link(code, jpki.cards.valid, { page: true })).body.error).toBe('jpki_proof_unbound');
  });

  it('the challenge is single-use and bound to this code', async () => {
    const a = await practitionerWithCode();
    const b = await practitionerWithCode();
    const { body } = await challenge(a.code);
    const token = await webEidToken(jpki.cards.valid, { origin: t.portal.rp.origin, nonce: body.nonce });
    // Another code cannot spend it.
    const foreign = await post(`/api/register/${b.code}/my-number-card/link`, { nonce: body.nonce, token });
    expect((await foreign.json()).error).toBe('card_challenge_invalid');
    const first = await post(`/api/register/${a.code}/my-number-card/link`, { nonce: body.nonce, token });
    expect([200, 409]).toContain(first.status); // valid card may already be linked elsewhere: either way spent
    const replay = await post(`/api/register/${a.code}/my-number-card/link`, { nonce: body.nonce, token });
    expect((await replay.json()).error).toBe('card_challenge_invalid');
  });

  it('an unknown or malformed code gets no challenge; a body without a nonce is refused with a code', async () => {
    expect((await challenge('x'.repeat(20))).status).toBe(404);
    expect((await post('/api/register/short/my-number-card/challenge', { password: '19850615' })).status).toBe(404);
    const { code } = await practitionerWithCode();
    const nonceless = await post(`/api/register/${code}/my-number-card/link`, { token: 'x' });
    expect((await nonceless.json()).error).toBe('jpki_proof_invalid');
  });
});

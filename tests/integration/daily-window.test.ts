import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { clientAssertionParams, createEhrClient, type EhrClient } from '../support/ehr-client.ts';
import { createSigningKey } from '../../src/signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from '../../src/demo/second-certificate-issuer.ts';
import { certificateFingerprint } from '../../src/pki/fingerprint.ts';
import { dailyWindowEnd } from '../../src/config/daily-window.ts';

/**
 * Issue 17 §5 (seed 003: 本人認証（1日1回）): with DAILY_WINDOW=until 03:00 one card login opens one
 * window; the SSO session, the portal session and the remote-signing authorisation approved in it
 * all end at the same instant, the next 03:00 in Japan, and the consent page shows that instant.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let ehr: EhrClient;
let doctorId: string;
const WINDOW = { kind: 'until', hour: 3, minute: 0 } as const;

const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});

/** The EHR asks for remote signing (PAR + RAR); the practitioner logs in with the card and approves. */
async function authoriseSigning(card: IssuedCertificate) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await fetch(`${t.url}/oidc/request`, form({
    response_type: 'code',
    redirect_uri: ehr.redirectUri,
    scope: 'openid',
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    authorization_details: JSON.stringify([{ type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] }]),
    ...(await clientAssertionParams(ehr, `${t.url}/oidc`)),
  }));
  const { request_uri } = await par.json();
  const jar = new CookieJar();
  const login = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${ehr.clientId}&request_uri=${encodeURIComponent(request_uri)}`, (u) => u.pathname.startsWith('/interaction/'));
  const uid = login.pathname.split('/')[2]!;
  const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(card, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  const consent = await followRedirects(jar, t.url, redirectTo, (u) => u.pathname.startsWith('/interaction/'));
  const view = (await (await jar.fetch(consent.href)).json()).view;
  const decided = await (await jar.fetch(`${t.url}/interaction/${consent.pathname.split('/')[2]}/consent`, jsonPost({ decision: 'approve' }))).json();
  const back = await followRedirects(jar, t.url, decided.redirectTo, (u) => u.href.startsWith(ehr.redirectUri));
  const tokenUrl = `${t.url}/oidc/token`;
  const res = await fetch(tokenUrl, form(
    { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAssertionParams(ehr, `${t.url}/oidc`)) },
    { dpop: await ehr.dpopProof('POST', tokenUrl) },
  ));
  const tokens = (await res.json()) as { access_token: string; expires_in: number };
  return { jar, view, tokens, receivedAt: Date.now() };
}

/** The newest SSO session of the practitioner: its login time and stored end. */
async function newestSession() {
  const rows = await t.portal.prisma.oidcPayload.findMany({ where: { model: 'Session', payload: { path: ['accountId'], equals: doctorId } } });
  const sessions = rows.map((r) => ({ loginTs: Number((r.payload as { loginTs: number }).loginTs), expiresAt: r.expiresAt! }));
  return sessions.sort((a, b) => b.loginTs - a.loginTs)[0]!;
}

beforeAll(async () => {
  t = await startTestPortal('daily-window', { env: { HPKI_AUTO_ENROL: 'true', DAILY_WINDOW: 'until 03:00' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  ehr = await createEhrClient('ehr-window', 'http://localhost:9/ehr/callback');
  await t.portal.prisma.oidcClient.create({ data: { clientId: ehr.clientId, name: 'EHR', metadata: JSON.parse(JSON.stringify(ehr.metadata)) } });
  const jar = new CookieJar();
  await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
  const cert = await t.portal.prisma.practitionerCertificate.findUniqueOrThrow({ where: { fingerprint: certificateFingerprint(pki.practitioners.valid.certificate) } });
  doctorId = cert.practitionerId;
  const credential = await createSigningKey(t.portal.prisma, t.portal.keyStores.primary, doctorId);
  await issueSecondCertificateWithTestCa(t.portal.prisma, credential.id, pki.signCa, [pki.root.der]);
}, 120_000);
afterAll(() => t?.close());

describe('one daily window for the SSO session and remote signing (DAILY_WINDOW=until 03:00)', () => {
  it('reads the window from the environment', () => {
    expect(t.portal.env.dailyWindow).toEqual(WINDOW);
  });

  it('the SSO session, the signing authorisation and the consent page all end at the next 03:00 in Japan', async () => {
    const { jar, view, tokens, receivedAt } = await authoriseSigning(pki.practitioners.valid);
    const session = await newestSession();
    const end = dailyWindowEnd(WINDOW, session.loginTs * 1000);
    // 03:00 JST is 18:00 UTC, unless the login was within 4 hours of it (then login + 4 h).
    const login = session.loginTs * 1000;
    if (end.getTime() - login > 4 * 3600_000) expect(end.getUTCHours()).toBe(18);
    expect(end.getTime() - login).toBeLessThanOrEqual(24 * 3600_000);

    // The SSO session's absolute end.
    expect(session.expiresAt.toISOString()).toBe(end.toISOString());
    // The signing authorisation ends at the same instant, and so does its access token.
    const authorisation = await t.portal.prisma.signingAuthorisation.findFirstOrThrow({ where: { practitionerId: doctorId }, orderBy: { approvedAt: 'desc' } });
    expect(authorisation.expiresAt.toISOString()).toBe(end.toISOString());
    expect(Math.abs(receivedAt + tokens.expires_in * 1000 - end.getTime())).toBeLessThanOrEqual(2_000);
    // The consent page showed that end (the interaction view's `until`).
    expect(view.signing.until).toBe(end.toISOString());
    expect(Math.abs(view.signing.validitySeconds * 1000 - (end.getTime() - Date.now()))).toBeLessThanOrEqual(60_000);

    // A portal session opened from this SSO session ends there too.
    await followRedirects(jar, t.url, `${t.url}/portal/login`, (u) => !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/portal/'));
    const portal = await t.portal.prisma.portalSession.findFirstOrThrow({ where: { practitionerId: doctorId, endedAt: null }, orderBy: { createdAt: 'desc' } });
    expect(portal.authTime.getTime()).toBe(session.loginTs * 1000);
    expect(portal.expiresAt.toISOString()).toBe(end.toISOString());
  });

  it('a signing consent given later in the window ends with the login\'s window, not a window after the consent', async () => {
    const first = await authoriseSigning(pki.practitioners.valid);
    // Move the login an hour back (the session's login time, as if the card was used earlier).
    const session = await newestSession();
    const shift = 3600;
    await t.portal.prisma.$executeRaw`
      UPDATE oidc_payload SET payload = jsonb_set(payload, '{loginTs}', to_jsonb((payload->>'loginTs')::bigint - ${shift}))
       WHERE model = 'Session' AND payload->>'accountId' = ${doctorId} AND (payload->>'loginTs')::bigint = ${session.loginTs}`;
    const end = dailyWindowEnd(WINDOW, (session.loginTs - shift) * 1000);
    // A second request from the EHR in the same browser: no new login, a new consent.
    const verifier = crypto.randomBytes(32).toString('base64url');
    const par = await (await fetch(`${t.url}/oidc/request`, form({
      response_type: 'code',
      redirect_uri: ehr.redirectUri,
      scope: 'openid',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([{ type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] }]),
      ...(await clientAssertionParams(ehr, `${t.url}/oidc`)),
    }))).json();
    const consent = await followRedirects(first.jar, t.url, `${t.url}/oidc/auth?client_id=${ehr.clientId}&request_uri=${encodeURIComponent(par.request_uri)}`, (u) => u.pathname.startsWith('/interaction/'));
    const view = (await (await first.jar.fetch(consent.href)).json()).view;
    expect(view.prompt).toBe('consent');
    // At least 4 hours after the moved login, so still ahead; shown and granted until then, not 24 h from now.
    expect(end.getTime()).toBeGreaterThan(Date.now());
    {
      expect(view.signing.until).toBe(end.toISOString());
      const decided = await (await first.jar.fetch(`${t.url}/interaction/${consent.pathname.split('/')[2]}/consent`, jsonPost({ decision: 'approve' }))).json();
      const back = await followRedirects(first.jar, t.url, decided.redirectTo, (u) => u.href.startsWith(ehr.redirectUri));
      const tokenUrl = `${t.url}/oidc/token`;
      const res = await fetch(tokenUrl, form(
        { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAssertionParams(ehr, `${t.url}/oidc`)) },
        { dpop: await ehr.dpopProof('POST', tokenUrl) },
      ));
      expect(res.status).toBe(200);
      const authorisation = await t.portal.prisma.signingAuthorisation.findFirstOrThrow({ where: { practitionerId: doctorId }, orderBy: { approvedAt: 'desc' } });
      expect(authorisation.expiresAt.toISOString()).toBe(end.toISOString());
    }
  });
});

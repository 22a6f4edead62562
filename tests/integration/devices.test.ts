import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { createPortalSession, findPortalSession, hasRecentCardLogin, hasRecentHpkiLogin } from '../../src/portal-session/portal-sessions.ts';
import { ACR } from '../../src/auth/assurance.ts';
import { aaguidName } from '../../src/practitioners/aaguid-names.ts';
import { isPasskeyAmr } from '../../src/auth/methods/passkey/passkey-device.ts';

/**
 * The device-change page's endpoints (SPEC §8) and the immediate reissue of the registration QR
 * (seed 001 A4): a card login within 5 minutes, one device at all times, the old one's logins end.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let practitionerId: string;
let oldPhone: SoftwareAuthenticator;
const client = { id: 'dev-rp', secret: 'dev-rp-secret-0123456789abcdef', redirectUri: 'http://localhost:9/cb' };
const ICLOUD = 'fbfc3007154e4ecc8c0b6e020557d7bd';

beforeAll(async () => {
  t = await startTestPortal('devices', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  await upsertClient(t.portal.prisma, { clientId: client.id, name: 'Device RP', secret: client.secret, redirectUris: [client.redirectUri] });
  // The card's holder is enrolled at the first card login; the birth date (the registration
  // password) is recorded afterwards, as an administrator would.
  await cardSession();
  const holder = await t.portal.prisma.practitioner.findFirstOrThrow();
  practitionerId = holder.id;
  await t.portal.prisma.practitioner.update({ where: { id: practitionerId }, data: { birthDate: '1980-04-01' } });
  oldPhone = new SoftwareAuthenticator(t.portal.rp.origin);
  const { code } = await issueRegistrationCode(t.portal.prisma, practitionerId);
  expect(await registerThroughCode(oldPhone, code)).toBe(200);
}, 60_000);
afterAll(() => t?.close());

const sameOrigin = () => ({ origin: t.url });

async function cardSession(): Promise<CookieJar> {
  const jar = new CookieJar();
  await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login?return=/devices`, pki.practitioners.valid);
  return jar;
}

/** The portal's own login with a passkey (same device). */
async function passkeySession(authenticator: SoftwareAuthenticator) {
  const jar = new CookieJar();
  const interaction = await followRedirects(jar, t.url, `${t.url}/portal/login`, (u) => u.pathname.startsWith('/interaction/'));
  const uid = interaction.pathname.split('/')[2]!;
  const options = await (await jar.fetch(`${t.url}/interaction/${uid}/passkey/options`, jsonPost({}))).json();
  const verify = await jar.fetch(`${t.url}/interaction/${uid}/passkey/verify`, jsonPost(authenticator.authenticate(options)));
  const body = await verify.json();
  if (verify.status !== 200) return { jar, status: verify.status, error: body.error as string };
  await followRedirects(jar, t.url, body.redirectTo, (u) => !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/portal/'));
  return { jar, status: 200, error: undefined };
}

async function registerThroughCode(authenticator: SoftwareAuthenticator, code: string) {
  const step1 = await fetch(`${t.url}/api/register/${code}/password`, jsonPost({ password: '19800401' }));
  if (step1.status !== 200) return step1.status;
  const { options } = await step1.json();
  const step2 = await fetch(`${t.url}/api/register/${code}/passkey`, jsonPost({ response: authenticator.register(options) }));
  return step2.status;
}

/** The device-change page: options → new passkey → verify. */
async function changeDevice(jar: CookieJar, newPhone: SoftwareAuthenticator) {
  const begin = await jar.fetch(`${t.url}/api/devices/passkey/options`, jsonPost({}, sameOrigin()));
  if (begin.status !== 200) return { status: begin.status, body: await begin.json() };
  const { options } = await begin.json();
  const verify = await jar.fetch(`${t.url}/api/devices/passkey/verify`, jsonPost({ response: newPhone.register(options) }, sameOrigin()));
  return { status: verify.status, body: await verify.json() };
}

const sessionId = (jar: CookieJar) => /portal_session=([^;]+)/.exec(jar.header())![1]!;

/** Cross-device approval by a phone, up to (not including) the terminal's completion. */
async function approvedCrossDeviceLogin(phone: SoftwareAuthenticator) {
  const login = await beginLoginInteraction(t.url, client);
  const { request, url } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/cross-device/start`, jsonPost({}))).json();
  const token = new URL(url).pathname.split('/').pop()!;
  const options = await (await fetch(`${t.url}/api/approve/${token}/options`, jsonPost({}))).json();
  const verify = await fetch(`${t.url}/api/approve/${token}/verify`, jsonPost(phone.authenticate(options)));
  return { ...login, request, token, status: verify.status, body: await verify.json() };
}

describe('device change', () => {
  it('needs a portal session and a same-origin request', async () => {
    const res = await fetch(`${t.url}/api/devices/passkey/options`, jsonPost({}, sameOrigin()));
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('login_required');
    const jar = await cardSession();
    const crossSite = await jar.fetch(`${t.url}/api/devices/passkey/options`, jsonPost({}, { origin: 'https://evil.example' }));
    expect(crossSite.status).toBe(403);
  });

  it('is refused without a recent card login: a passkey session, or a card login older than 5 minutes', async () => {
    const passkey = await passkeySession(oldPhone);
    expect(passkey.status).toBe(200);
    const refused = await changeDevice(passkey.jar, new SoftwareAuthenticator(t.portal.rp.origin));
    expect(refused).toMatchObject({ status: 403, body: { error: 'device_change_reauth_required' } });

    const card = await cardSession();
    await t.portal.prisma.portalSession.updateMany({
      where: { idHash: (await findPortalSession(t.portal.prisma, sessionId(card), t.portal.env))!.idHash },
      data: { authTime: new Date(Date.now() - 6 * 60_000) },
    });
    expect((await changeDevice(card, new SoftwareAuthenticator(t.portal.rp.origin))).body.error).toBe('device_change_reauth_required');
    expect(await t.portal.prisma.passkeyCredential.findUniqueOrThrow({ where: { practitionerId } })).toMatchObject({ id: oldPhone.credentialIds[0] });
    const audited = await t.portal.prisma.auditEvent.count({ where: { event: 'device.change', result: 'failure', errorCode: 'device_change_reauth_required' } });
    expect(audited).toBe(2);
  });

  it('after a card login: the new passkey replaces the old one; the old one is refused and its logins end', async () => {
    // The old phone is in use: a portal session, a provider session, and an approval not yet taken over.
    const oldSession = await passkeySession(oldPhone);
    const oldSessionId = sessionId(oldSession.jar);
    expect(await findPortalSession(t.portal.prisma, oldSessionId, t.portal.env)).not.toBeNull();
    const pendingApproval = await approvedCrossDeviceLogin(oldPhone);
    expect(pendingApproval.status).toBe(200);
    const providerSessions = async () =>
      (await t.portal.prisma.oidcPayload.findMany({ where: { model: 'Session' } }))
        .map((r) => r.payload as { accountId?: string; amr?: string[] })
        .filter((p) => p.accountId === practitionerId);
    expect((await providerSessions()).some((p) => isPasskeyAmr(p.amr))).toBe(true);

    const card = await cardSession();
    const newPhone = new SoftwareAuthenticator(t.portal.rp.origin, ICLOUD);
    const changed = await changeDevice(card, newPhone);
    expect(changed).toMatchObject({ status: 200, body: { ok: true, device: { label: 'iCloud キーチェーン（iPhone・iPad・Mac）' } } });

    // One device, the new one.
    const devices = await t.portal.prisma.passkeyCredential.findMany({ where: { practitionerId } });
    expect(devices.map((d) => d.id)).toEqual(newPhone.credentialIds);
    expect(devices[0]!.aaguid).toBe('fbfc3007-154e-4ecc-8c0b-6e020557d7bd');

    // The old passkey can no longer log in, on the same device or by approving a terminal.
    expect((await passkeySession(oldPhone)).error).toBe('passkey_unknown_credential');
    expect((await approvedCrossDeviceLogin(oldPhone)).body.error).toBe('passkey_unknown_credential');
    // Its approval that the terminal had not taken over yet is cancelled.
    const late = await pendingApproval.jar.fetch(`${t.url}/interaction/${pendingApproval.uid}/cross-device/complete`, jsonPost({ request: pendingApproval.request }));
    expect((await late.json()).error).toBe('cross_device_cancelled');
    // Its sessions ended: the portal session and the provider session it opened; the card's stay.
    expect(await findPortalSession(t.portal.prisma, oldSessionId, t.portal.env)).toBeNull();
    expect(await findPortalSession(t.portal.prisma, sessionId(card), t.portal.env)).not.toBeNull();
    const remaining = await providerSessions();
    expect(remaining.some((p) => isPasskeyAmr(p.amr))).toBe(false);
    expect(remaining.length).toBeGreaterThan(0);

    // The new one works.
    expect((await passkeySession(newPhone)).status).toBe(200);
    const crossDevice = await approvedCrossDeviceLogin(newPhone);
    expect(crossDevice.status).toBe(200);

    // Both halves are audited.
    const removed = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'device.removed', details: { path: ['reason'], equals: 'device_change' } } });
    expect(removed.details).toMatchObject({ credentialId: oldPhone.credentialIds[0], cancelledApprovals: 1, endedPortalSessions: 2 });
    expect((removed.details as { endedProviderSessions: number }).endedProviderSessions).toBeGreaterThanOrEqual(1);
    // The portal, a linked service of its own provider, heard it by back-channel logout.
    expect((removed.details as { backchannelLogouts: unknown[] }).backchannelLogouts).toContainEqual({ clientId: 'hpki-sso-portal', ok: true });
    const registered = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'device.registered', details: { path: ['via'], equals: 'device_change' } } });
    expect(registered.details).toMatchObject({ credentialId: newPhone.credentialIds[0], replaced: oldPhone.credentialIds[0], authorisedBy: ACR.hpki });
    expect(removed.seq < registered.seq).toBe(true);
    oldPhone = newPhone;
  });

  it('a My Number Card login counts as a card for the device change', async () => {
    const id = await createPortalSession(t.portal.prisma, {
      practitionerId,
      authTime: new Date(),
      amr: ['sc', 'pin', 'hwk'],
      acr: ACR.jpki,
      sid: null,
    }, t.portal.env);
    const res = await fetch(`${t.url}/api/devices/passkey/options`, jsonPost({}, { ...sameOrigin(), cookie: `portal_session=${id}` }));
    expect(res.status).toBe(200);
    const { options } = await res.json();
    // The registered device is excluded, so it cannot register itself again.
    expect(options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual(oldPhone.credentialIds);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
  });

  it('a challenge of another session cannot finish the change', async () => {
    const a = await cardSession();
    const b = await cardSession();
    const { options } = await (await a.fetch(`${t.url}/api/devices/passkey/options`, jsonPost({}, sameOrigin()))).json();
    const intruder = new SoftwareAuthenticator(t.portal.rp.origin);
    const res = await b.fetch(`${t.url}/api/devices/passkey/verify`, jsonPost({ response: intruder.register(options) }, sameOrigin()));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('passkey_challenge_invalid');
    expect((await t.portal.prisma.passkeyCredential.findMany({ where: { practitionerId } })).map((d) => d.id)).toEqual(oldPhone.credentialIds);
  });

  it('the database keeps one device per practitioner, whatever the code does', async () => {
    await expect(
      t.portal.prisma.passkeyCredential.create({
        data: { id: 'second', practitionerId, publicKey: Buffer.from([1]), transports: [], aaguid: '0', deviceType: 'singleDevice', backedUp: false },
      }),
    ).rejects.toThrow();
  });
});

describe('immediate reissue of the registration QR', () => {
  it('needs an HPKI login within 5 minutes (a My Number Card is not enough)', async () => {
    const passkey = await passkeySession(oldPhone);
    const res = await passkey.jar.fetch(`${t.url}/api/devices/registration-code`, jsonPost({}, sameOrigin()));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe('registration_reissue_reauth_required');
    const id = await createPortalSession(t.portal.prisma, { practitionerId, authTime: new Date(), amr: ['sc', 'pin', 'hwk'], acr: ACR.jpki, sid: null }, t.portal.env);
    const jpki = await fetch(`${t.url}/api/devices/registration-code`, jsonPost({}, { ...sameOrigin(), cookie: `portal_session=${id}` }));
    expect(jpki.status).toBe(403);
  });

  it('shows a new code at once; the old code stops working and the new one registers', async () => {
    const earlier = await issueRegistrationCode(t.portal.prisma, practitionerId);
    const card = await cardSession();
    const res = await card.fetch(`${t.url}/api/devices/registration-code`, jsonPost({}, sameOrigin()));
    expect(res.status).toBe(200);
    const issued = (await res.json()) as { url: string; qrDataUrl: string; expiresAt: string };
    expect(issued.url).toMatch(new RegExp(`^${t.url}/register/[A-Za-z0-9_-]{16,64}$`));
    expect(issued.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(new Date(issued.expiresAt).getTime()).toBeGreaterThan(Date.now() + 80 * 24 * 3600_000);

    // The earlier code is superseded.
    const old = await fetch(`${t.url}/api/register/${earlier.code}/password`, jsonPost({ password: '19800401' }));
    expect(old.status).toBe(410);
    expect((await old.json()).error).toBe('registration_code_superseded');

    // The new one registers the next phone, which then replaces the device.
    const nextPhone = new SoftwareAuthenticator(t.portal.rp.origin);
    expect(await registerThroughCode(nextPhone, new URL(issued.url).pathname.split('/').pop()!)).toBe(200);
    expect((await t.portal.prisma.passkeyCredential.findMany({ where: { practitionerId } })).map((d) => d.id)).toEqual(nextPhone.credentialIds);
    expect((await passkeySession(oldPhone)).error).toBe('passkey_unknown_credential');
    expect((await passkeySession(nextPhone)).status).toBe(200);
    expect(await t.portal.prisma.auditEvent.count({ where: { event: 'registration.reissue', result: 'success', practitionerId } })).toBe(1);
  });
});

describe('device helpers', () => {
  it('a card within 5 minutes: HPKI or My Number Card for a change, HPKI only for a reissue', () => {
    const now = Date.now();
    const session = (acr: string, ageSeconds: number) => ({ practitionerId, authTime: new Date(now - ageSeconds * 1000), amr: [], acr, sid: null });
    expect(hasRecentCardLogin(session(ACR.hpki, 299), 300, now)).toBe(true);
    expect(hasRecentCardLogin(session(ACR.jpki, 10), 300, now)).toBe(true);
    expect(hasRecentCardLogin(session(ACR.passkey, 10), 300, now)).toBe(false);
    expect(hasRecentCardLogin(session(ACR.hpki, 301), 300, now)).toBe(false);
    expect(hasRecentHpkiLogin(session(ACR.jpki, 10), 300, now)).toBe(false);
  });

  it('names well-known authenticators by AAGUID, and nothing else', () => {
    expect(aaguidName('ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4')).toContain('Google');
    expect(aaguidName('08987058-CADC-4B81-B6E1-30DE50DCBE96', 'en')).toBe('Windows Hello');
    expect(aaguidName('00000000-0000-0000-0000-000000000000')).toBeNull();
    expect(aaguidName(undefined)).toBeNull();
  });

  it('tells passkey logins from card logins by amr', () => {
    expect(isPasskeyAmr(['hwk', 'user'])).toBe(true);
    expect(isPasskeyAmr(['user', 'hwk', 'mca'])).toBe(true);
    expect(isPasskeyAmr(['sc', 'pin', 'hwk'])).toBe(false);
    expect(isPasskeyAmr(undefined)).toBe(false);
  });
});

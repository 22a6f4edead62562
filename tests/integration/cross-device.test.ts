import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { followRedirects, jsonPost } from '../support/browser-flow.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { effectiveStatus } from '../../src/auth/methods/passkey-cross-device/cross-device-requests.ts';
import { summariseUserAgent } from '../../src/auth/methods/passkey-cross-device/terminal-summary.ts';

/**
 * Cross-device login (seed 003): the terminal shows a one-time URL, the registered phone approves it
 * with its passkey, and the terminal's login completes by itself.
 */
let t: TestPortal;
let phone: SoftwareAuthenticator;
let practitionerId: string;
const client = { id: 'cd-rp', secret: 'cd-rp-secret-0123456789abcdef', redirectUri: 'http://localhost:9/cb' };

beforeAll(async () => {
  t = await startTestPortal('cross-device');
  await upsertClient(t.portal.prisma, { clientId: client.id, name: '地域連携ネット（テスト）', secret: client.secret, redirectUris: [client.redirectUri] });
  const p = await createPractitioner(t.portal.prisma, {
    registrationNumber: 'CD-1',
    familyName: 'Kagurazaka',
    givenName: 'Sanjushi',
    birthDate: '1980-04-01',
  });
  practitionerId = p.id;
  phone = new SoftwareAuthenticator(t.portal.rp.origin);
  await registerThroughCode(phone, practitionerId, '19800401');
}, 60_000);
afterAll(() => t?.close());

/** The registration QR flow, as the phone does it: password, then a new passkey. */
async function registerThroughCode(authenticator: SoftwareAuthenticator, id: string, password: string) {
  const { code } = await issueRegistrationCode(t.portal.prisma, id);
  const step1 = await fetch(`${t.url}/api/register/${code}/password`, jsonPost({ password }));
  expect(step1.status).toBe(200);
  const { options } = await step1.json();
  const step2 = await fetch(`${t.url}/api/register/${code}/passkey`, jsonPost({ response: authenticator.register(options) }));
  expect(step2.status).toBe(200);
}

/** Terminal: a login interaction of the test RP, with the QR shown. */
async function terminalWithQr() {
  const login = await beginLoginInteraction(t.url, client);
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/cross-device/start`, jsonPost({}, { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36' }));
  expect(res.status).toBe(200);
  const started = (await res.json()) as { request: string; url: string; qrDataUrl: string; expiresAt: string; expiresInSeconds: number };
  const token = new URL(started.url).pathname.split('/').pop()!;
  return { ...login, ...started, token };
}

async function status(jar: CookieJar, uid: string, request: string) {
  const res = await jar.fetch(`${t.url}/interaction/${uid}/cross-device/status?request=${request}`);
  return { status: res.status, body: await res.json() };
}

async function complete(jar: CookieJar, uid: string, request: string) {
  const res = await jar.fetch(`${t.url}/interaction/${uid}/cross-device/complete`, jsonPost({ request }));
  return { status: res.status, body: await res.json() };
}

/** Phone: options → WebAuthn with the given authenticator → verify. */
async function approve(token: string, authenticator: SoftwareAuthenticator = phone, options: { userVerified?: boolean } = {}) {
  const begin = await fetch(`${t.url}/api/approve/${token}/options`, jsonPost({}));
  if (begin.status !== 200) return { status: begin.status, body: await begin.json() };
  const assertion = authenticator.authenticate(await begin.json(), options);
  const verify = await fetch(`${t.url}/api/approve/${token}/verify`, jsonPost(assertion));
  return { status: verify.status, body: await verify.json() };
}

describe('cross-device login', () => {
  it('terminal start → phone approves → terminal completes → consent → ID token with amr hwk,user,mca', async () => {
    const terminal = await terminalWithQr();
    expect(terminal.url).toMatch(new RegExp(`^${t.url}/approve/[A-Za-z0-9_-]{43}$`));
    expect(terminal.qrDataUrl).toMatch(/^data:image\/png;base64,/);
    expect(terminal.expiresInSeconds).toBe(120);
    expect(new Date(terminal.expiresAt).getTime() - Date.now()).toBeGreaterThan(100_000);
    // Only a hash of the URL's token is stored, with what the phone shows about the terminal.
    const row = await t.portal.prisma.crossDeviceRequest.findUniqueOrThrow({ where: { id: terminal.request } });
    expect(row.tokenHash).not.toContain(terminal.token);
    expect(row.tokenHash).toBe(crypto.createHash('sha256').update(terminal.token).digest('hex'));
    expect(row).toMatchObject({ interactionUid: terminal.uid, clientId: client.id, clientName: '地域連携ネット（テスト）', terminalAgent: 'Chrome / Windows' });
    expect(row.terminalIp).toBeTruthy();

    expect((await status(terminal.jar, terminal.uid, terminal.request)).body.status).toBe('pending');
    // Before the phone approved, the terminal cannot complete.
    expect((await complete(terminal.jar, terminal.uid, terminal.request)).body.error).toBe('cross_device_not_approved');

    expect(await approve(terminal.token)).toEqual({ status: 200, body: { ok: true } });
    expect((await status(terminal.jar, terminal.uid, terminal.request)).body.status).toBe('approved');

    const done = await complete(terminal.jar, terminal.uid, terminal.request);
    expect(done.status).toBe(200);
    expect(done.body.redirectTo).toContain('/oidc/auth/');
    const used = await t.portal.prisma.crossDeviceRequest.findUniqueOrThrow({ where: { id: terminal.request } });
    expect(used).toMatchObject({ status: 'used', practitionerId, credentialId: phone.credentialIds[0] });

    // The provider continues to consent (a third-party service), then to the RP with a code.
    const consent = await followRedirects(terminal.jar, t.url, done.body.redirectTo, (u) => u.pathname.startsWith('/interaction/'));
    const uid = consent.pathname.split('/')[2]!;
    const approved = await terminal.jar.fetch(`${t.url}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' }));
    const { redirectTo } = await approved.json();
    const callback = await followRedirects(terminal.jar, t.url, redirectTo, (u) => u.href.startsWith(client.redirectUri));
    const code = callback.searchParams.get('code')!;
    const token = await fetch(`${t.url}/oidc/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: terminal.verifier }),
    });
    expect(token.status).toBe(200);
    const claims = decodeJwt((await token.json()).id_token as string);
    expect(claims.amr).toEqual(['hwk', 'user', 'mca']);
    expect(claims.acr).toBe('urn:hpki-sso:acr:passkey:aal2');

    const audit = await t.portal.prisma.auditEvent.findMany({ where: { event: { in: ['cross_device.start', 'cross_device.approve', 'login'] } }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => `${a.event}:${a.result}`)).toEqual(
      expect.arrayContaining(['cross_device.start:success', 'cross_device.approve:success', 'login:success']),
    );
    expect(audit.find((a) => a.event === 'login' && a.result === 'success')).toMatchObject({ method: 'passkey-cross-device', practitionerId });
  });

  it('a used URL is refused on the phone and cannot complete a second time', async () => {
    const terminal = await terminalWithQr();
    expect((await approve(terminal.token)).status).toBe(200);
    expect((await complete(terminal.jar, terminal.uid, terminal.request)).status).toBe(200);

    const again = await approve(terminal.token);
    expect(again).toMatchObject({ status: 410, body: { error: 'cross_device_used' } });
    expect(again.body.message).toContain('すでに使われました');
    // The approved-and-used request cannot log anyone in again.
    const twice = await complete(terminal.jar, terminal.uid, terminal.request);
    expect(twice.status).toBeGreaterThanOrEqual(400);
  });

  it('an approved URL cannot be approved a second time (the first approval counts)', async () => {
    const terminal = await terminalWithQr();
    expect((await approve(terminal.token)).status).toBe(200);
    expect(await approve(terminal.token)).toMatchObject({ status: 410, body: { error: 'cross_device_used' } });
  });

  it('an expired URL is refused with cross_device_expired, and the terminal sees it expire', async () => {
    const terminal = await terminalWithQr();
    await t.portal.prisma.crossDeviceRequest.update({ where: { id: terminal.request }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await approve(terminal.token)).toMatchObject({ status: 410, body: { error: 'cross_device_expired' } });
    expect((await status(terminal.jar, terminal.uid, terminal.request)).body.status).toBe('expired');
    expect((await complete(terminal.jar, terminal.uid, terminal.request)).body.error).toBe('cross_device_expired');
  });

  it('expiry between options and verify still refuses the approval', async () => {
    const terminal = await terminalWithQr();
    const options = await (await fetch(`${t.url}/api/approve/${terminal.token}/options`, jsonPost({}))).json();
    await t.portal.prisma.crossDeviceRequest.update({ where: { id: terminal.request }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const verify = await fetch(`${t.url}/api/approve/${terminal.token}/verify`, jsonPost(phone.authenticate(options)));
    expect(verify.status).toBe(410);
    expect((await verify.json()).error).toBe('cross_device_expired');
  });

  it('an approval the terminal does not take over within a minute expires', async () => {
    const terminal = await terminalWithQr();
    expect((await approve(terminal.token)).status).toBe(200);
    await t.portal.prisma.crossDeviceRequest.update({ where: { id: terminal.request }, data: { approvedAt: new Date(Date.now() - 61_000) } });
    expect((await complete(terminal.jar, terminal.uid, terminal.request)).body.error).toBe('cross_device_expired');
  });

  it('an unknown or malformed URL is refused with cross_device_unknown', async () => {
    for (const token of [crypto.randomBytes(32).toString('base64url'), 'short', 'x'.repeat(100)]) {
      const res = await fetch(`${t.url}/api/approve/${token}/options`, jsonPost({}));
      expect(res.status).toBe(404);
      expect((await res.json()).error).toBe('cross_device_unknown');
    }
  });

  it('a phone whose passkey is not the registered one is refused', async () => {
    const terminal = await terminalWithQr();
    const stranger = new SoftwareAuthenticator(t.portal.rp.origin);
    // A passkey for this site that the portal never registered.
    stranger.register({
      rp: { id: t.portal.rp.id, name: 'x' },
      user: { id: Buffer.from('someone').toString('base64url'), name: 'x', displayName: 'x' },
      challenge: crypto.randomBytes(32).toString('base64url'),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    });
    expect(await approve(terminal.token, stranger)).toMatchObject({ status: 401, body: { error: 'passkey_unknown_credential' } });
    expect((await status(terminal.jar, terminal.uid, terminal.request)).body.status).toBe('pending');
    const failure = await t.portal.prisma.auditEvent.findFirst({ where: { event: 'cross_device.approve', result: 'failure', errorCode: 'passkey_unknown_credential' } });
    expect(failure?.details).toMatchObject({ request: terminal.request });
  });

  it('an approval without user verification is refused', async () => {
    const terminal = await terminalWithQr();
    expect(await approve(terminal.token, phone, { userVerified: false })).toMatchObject({ status: 401, body: { error: 'passkey_verification_failed' } });
    expect((await status(terminal.jar, terminal.uid, terminal.request)).body.status).toBe('pending');
  });

  it("a URL of another login cannot complete this one, nor be watched from it", async () => {
    const a = await terminalWithQr();
    const b = await terminalWithQr();
    expect((await approve(a.token)).status).toBe(200);
    // Terminal B (its own interaction cookie) presents A's approved request.
    expect(await complete(b.jar, b.uid, a.request)).toMatchObject({ status: 403, body: { error: 'cross_device_mismatch' } });
    expect((await status(b.jar, b.uid, a.request)).body.error).toBe('cross_device_mismatch');
    // B's path with A's uid but without A's interaction cookie: the interaction is not B's.
    expect((await complete(b.jar, a.uid, a.request)).body.error).toMatch(/^interaction_/);
    // A phishing relay holding only the URL has no interaction cookie at all.
    const relay = await fetch(`${t.url}/interaction/${a.uid}/cross-device/complete`, jsonPost({ request: a.request }));
    expect((await relay.json()).error).toMatch(/^interaction_/);
    // B's own request is untouched; A still completes.
    expect((await complete(b.jar, b.uid, b.request)).body.error).toBe('cross_device_not_approved');
    expect((await complete(a.jar, a.uid, a.request)).status).toBe(200);
  });

  it('"new code" withdraws the earlier URL of the same login', async () => {
    const first = await terminalWithQr();
    const second = await first.jar.fetch(`${t.url}/interaction/${first.uid}/cross-device/start`, jsonPost({}));
    const { request, url } = await second.json();
    expect(await approve(first.token)).toMatchObject({ status: 410, body: { error: 'cross_device_cancelled' } });
    expect((await status(first.jar, first.uid, first.request)).body.status).toBe('cancelled');
    expect((await approve(new URL(url).pathname.split('/').pop()!)).status).toBe(200);
    expect((await complete(first.jar, first.uid, request)).status).toBe(200);
  });

  it('is not offered when the service asks for a card level (acr_values)', async () => {
    const jar = new CookieJar();
    const interaction = await followRedirects(jar, t.url, `${t.url}/portal/login?reauth=hpki`, (u) => u.pathname.startsWith('/interaction/'));
    const uid = interaction.pathname.split('/')[2]!;
    const res = await jar.fetch(`${t.url}/interaction/${uid}/cross-device/start`, jsonPost({}));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('method_not_available');
  });

  it("is not offered when the service's policy lists only card methods", async () => {
    const cardsOnly = { id: 'cd-cards-only', secret: 'cd-cards-only-secret-0123456789', redirectUri: client.redirectUri };
    await upsertClient(t.portal.prisma, { clientId: cardsOnly.id, name: 'Cards only', secret: cardsOnly.secret, redirectUris: [cardsOnly.redirectUri] });
    const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: cardsOnly.id } });
    await t.portal.prisma.oidcClient.update({
      where: { clientId: cardsOnly.id },
      data: { metadata: JSON.parse(JSON.stringify({ ...(row.metadata as object), login_methods: ['hpki-card'] })) },
    });
    const login = await beginLoginInteraction(t.url, cardsOnly);
    const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/cross-device/start`, jsonPost({}));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('method_not_available');
  });

  it('refuses malformed requests with a code', async () => {
    const terminal = await terminalWithQr();
    expect((await status(terminal.jar, terminal.uid, 'not-a-uuid')).body.error).toBe('cross_device_unknown');
    expect((await status(terminal.jar, terminal.uid, crypto.randomUUID())).body.error).toBe('cross_device_unknown');
    expect((await complete(terminal.jar, terminal.uid, '')).body.error).toBe('cross_device_unknown');
    const wrongMethod = await terminal.jar.fetch(`${t.url}/interaction/${terminal.uid}/cross-device/start`);
    expect(wrongMethod.status).toBe(405);
    const verify = await fetch(`${t.url}/api/approve/${terminal.token}/verify`, jsonPost({ id: 'x' }));
    expect((await verify.json()).error).toBe('invalid_request');
    const unknownAction = await fetch(`${t.url}/api/approve/${terminal.token}/other`, jsonPost({}));
    expect(unknownAction.status).toBe(404);
  });
});

describe('cross-device helpers', () => {
  it('a pending request past its expiry, or an old approval, is expired', () => {
    const now = new Date('2026-11-21T10:00:00Z');
    const base = { status: 'pending', expiresAt: new Date('2026-11-21T10:00:01Z'), approvedAt: null } as Parameters<typeof effectiveStatus>[0];
    expect(effectiveStatus(base, now)).toBe('pending');
    expect(effectiveStatus({ ...base, expiresAt: now }, now)).toBe('expired');
    expect(effectiveStatus({ ...base, status: 'approved', approvedAt: new Date('2026-11-21T09:59:30Z') }, now)).toBe('approved');
    expect(effectiveStatus({ ...base, status: 'approved', approvedAt: new Date('2026-11-21T09:59:00Z') }, now)).toBe('expired');
    expect(effectiveStatus({ ...base, status: 'used' }, now)).toBe('used');
  });

  it('summarises the terminal user agent in a few words', () => {
    expect(summariseUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0')).toBe('Edge / Windows');
    expect(summariseUserAgent('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15')).toBe('Safari / macOS');
    expect(summariseUserAgent(undefined)).toBeNull();
    expect(summariseUserAgent('curl/8')).toBeNull();
  });
});

import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, defaultPractitioner, issuePractitionerCertificate, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { confirmProviderLogout, followRedirects, hpkiCardLogin, jsonPost, finishAuthorization } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { lookupPortalSession } from '../../src/portal-session/portal-sessions.ts';
import { LOCALE_COOKIE } from '../../src/i18n/locale.ts';
import { storedPayloadId } from '../../src/oidc/payload-store.ts';

/**
 * Issue 12 §1 and §2 on a shared terminal: one logout ends the portal session, the SSO session and
 * every linked service's session; sessions end at auth_time + SESSION_MAX_HOURS whatever the use,
 * and portal sessions after SESSION_IDLE_MINUTES without a request. Time moves through the rows.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let receiver: http.Server;
const logoutTokens: { clientId: string; sid?: string; sub?: string }[] = [];
let rp: { id: string; secret: string; redirectUri: string };
let other: { id: string; secret: string; redirectUri: string };
/** A second practitioner's card (another HPKI ID). */
let colleague: IssuedCertificate;

beforeAll(async () => {
  // A 12-hour window, so the limits below are told apart from the 18-hour default.
  t = await startTestPortal('logout-limits', { env: { HPKI_AUTO_ENROL: 'true', DAILY_WINDOW: '12h' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  colleague = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    practitioner: { ...defaultPractitioner, romanisedName: 'Hanako Doryo', kanjiGivenName: '花子', hpkiId: 'Test000099' },
    hcRoles: [{ role: 'Medical Doctor' }],
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
  });
  // Two linked services' back-channel endpoints: each records the logout tokens it receives.
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}');
      logoutTokens.push({ clientId: String(req.url).slice(1), sid: payload.sid, sub: payload.sub });
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  for (const id of ['ehr-a', 'ehr-b']) {
    const made = await upsertClient(t.portal.prisma, {
      clientId: id,
      name: `EHR ${id}`,
      redirectUris: [`http://localhost:9/${id}/cb`],
      postLogoutRedirectUris: [`http://localhost:9/${id}/bye`],
      backchannelLogoutUri: `http://localhost:${port}/${id}`,
      scope: 'openid profile hcrole offline_access',
    });
    const client = { id, secret: made.clientSecret, redirectUri: `http://localhost:9/${id}/cb` };
    if (id === 'ehr-a') rp = client;
    else other = client;
  }
}, 60_000);
afterAll(async () => {
  receiver?.close();
  await t?.close();
});

/** An authorization request of a linked service in this browser (PAR + PKCE), followed to its end. */
async function serviceLogin(jar: CookieJar, client = rp, card: IssuedCertificate = pki.practitioners.valid, extra: Record<string, string> = {}) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await fetch(`${t.url}/oidc/request`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: 'openid profile hcrole',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    }),
  });
  const { request_uri } = (await par.json()) as { request_uri: string };
  const landed = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${client.id}&request_uri=${encodeURIComponent(request_uri)}`, (u) =>
    u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'),
  );
  let redirectTo = landed.href;
  let askedToLogIn = false;
  if (landed.pathname.startsWith('/interaction/')) {
    const uid = landed.pathname.split('/')[2]!;
    const view = (await (await jar.fetch(landed.href)).json()).view;
    if (view.prompt === 'login') {
      askedToLogIn = true;
      const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
      const token = await webEidToken(card, { origin: t.portal.rp.origin, nonce });
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
    }
  }
  const done = await finishAuthorization(jar, t.url, redirectTo, client, verifier);
  return { ...done, askedToLogIn };
}

const portalCookie = (jar: CookieJar) => /portal_session=([^;]+)/.exec(jar.header())?.[1];
const providerSessions = async () => t.portal.prisma.oidcPayload.findMany({ where: { model: 'Session' } });

/** The browser's provider session as stored (model Session, by the id in its cookie). */
async function storedSession(jar: CookieJar) {
  const id = /(?:^|; )_session=([^;]+)/.exec(jar.header())?.[1];
  return id ? t.portal.prisma.oidcPayload.findUnique({ where: { model_id: { model: 'Session', id: storedPayloadId('Session', id) } } }) : null;
}

describe('one logout ends every session of this browser (§1)', () => {
  it('the portal logout ends the portal session, the SSO session and both services’ sessions; the next login asks for a card', async () => {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const a = await serviceLogin(jar, rp);
    const b = await serviceLogin(jar, other);
    expect(b.askedToLogIn).toBe(false); // SSO
    const sessionId = portalCookie(jar)!;
    logoutTokens.length = 0;

    const res = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/logged-out');
    // No second click: everything has ended by the time the answer arrives.
    expect((await lookupPortalSession(t.portal.prisma, sessionId, t.portal.env)).ended).toBe('logout');
    expect(await storedSession(jar)).toBeNull();
    expect(res.headers.getSetCookie().some((c) => /^_session=;/.test(c))).toBe(true);
    expect(logoutTokens.map((l) => l.clientId).sort()).toEqual(['ehr-a', 'ehr-b', ...(logoutTokens.some((l) => l.clientId === 'hpki-sso-portal') ? ['hpki-sso-portal'] : [])].sort());
    expect(logoutTokens.find((l) => l.clientId === 'ehr-a')?.sid).toBe(a.claims.sid);
    // The services' tokens are revoked with the grants.
    expect((await fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${a.tokens.access_token}` } })).status).toBe(401);
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'logout', details: { path: ['via'], equals: 'portal' } }, orderBy: { seq: 'desc' } });
    expect((audit.details as { services: string[] }).services).toEqual(expect.arrayContaining(['ehr-a', 'ehr-b']));
    // The next person at this browser: a service asks for a card, not SSO.
    expect((await serviceLogin(jar, rp)).askedToLogIn).toBe(true);
  });

  it('a cross-site logout form is refused and ends nothing', async () => {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const res = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect((await lookupPortalSession(t.portal.prisma, portalCookie(jar), t.portal.env)).session).not.toBeNull();
    expect(await storedSession(jar)).not.toBeNull();
  });

  it('without a portal session, the browser’s SSO session still ends', async () => {
    const jar = new CookieJar();
    await serviceLogin(jar, rp);
    expect(await storedSession(jar)).not.toBeNull();
    const before = (await providerSessions()).length;
    const res = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(res.status).toBe(303);
    expect((await providerSessions()).length).toBe(before - 1);
    expect((await serviceLogin(jar, rp)).askedToLogIn).toBe(true);
  });

  it('RP-initiated logout with a valid id_token_hint of this browser’s person needs no click', async () => {
    const jar = new CookieJar();
    const a = await serviceLogin(jar, rp);
    logoutTokens.length = 0;
    const end = await jar.fetch(`${t.url}/oidc/session/end?id_token_hint=${a.tokens.id_token}&post_logout_redirect_uri=${encodeURIComponent('http://localhost:9/ehr-a/bye')}`);
    expect(end.status).toBe(200);
    const page = await end.text();
    // The page submits itself (a script allowed by its hash), asking nothing.
    expect(page).toContain('name="logout" value="yes"');
    expect(page).not.toContain('data-testid="logout-no"');
    const csp = end.headers.get('content-security-policy') ?? '';
    const script = /<script>([^<]*)<\/script>/.exec(page)![1]!;
    expect(csp).toContain(`'sha256-${crypto.createHash('sha256').update(script).digest('base64')}'`);
    const confirm = await confirmProviderLogout(jar, t.url, page);
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get('location')).toBe('http://localhost:9/ehr-a/bye');
    expect(await storedSession(jar)).toBeNull();
    expect(logoutTokens.some((l) => l.clientId === 'ehr-a' && l.sid === a.claims.sid)).toBe(true);
  });

  it('without a hint, or with another person’s, the question stays — in the portal’s look with the language switch', async () => {
    const jar = new CookieJar();
    await serviceLogin(jar, rp);
    const plain = await jar.fetch(`${t.url}/oidc/session/end?client_id=ehr-a`);
    const page = await plain.text();
    expect(page).toContain('data-testid="logout-yes"');
    expect(page).toContain('data-testid="logout-no"');
    expect(page).toContain('data-testid="language-switch"');
    expect(page).toContain('HPKI SSO ポータル');
    expect(page).not.toContain('name="logout" value="yes"');
    const english = await fetch(`${t.url}/oidc/session/end?client_id=ehr-a`, { headers: { cookie: `${jar.header()}; ${LOCALE_COOKIE}=en` } });
    const englishPage = await english.text();
    expect(englishPage).toContain('<html lang="en">');
    expect(englishPage).toContain('日本語'); // the switch back

    // Another practitioner's ID token (issued in another browser) must not end this person's session.
    const otherJar = new CookieJar();
    const theirs = await serviceLogin(otherJar, rp, colleague);
    const mixed = await (await jar.fetch(`${t.url}/oidc/session/end?id_token_hint=${theirs.tokens.id_token}`)).text();
    expect(mixed).toContain('data-testid="logout-no"');
    expect(mixed).not.toContain('name="logout" value="yes"');
    expect(await storedSession(jar)).not.toBeNull();
  });

  it('an id_token_hint that is not ours is an error page, not a logout', async () => {
    const jar = new CookieJar();
    await serviceLogin(jar, rp);
    const res = await jar.fetch(`${t.url}/oidc/session/end?id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.`, { headers: { accept: 'text/html' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).toContain('data-testid="error-code"');
    expect(await storedSession(jar)).not.toBeNull();
  });
});

describe('sessions end at a fixed time from the authentication (§2)', () => {
  const MAX = 12 * 3600;

  it('the SSO session ends at auth_time + 12 h, and use never moves it', async () => {
    const jar = new CookieJar();
    const first = await serviceLogin(jar, rp);
    const stored = (await storedSession(jar))!;
    const loginTs = Number(first.claims.auth_time);
    expect(Math.abs(stored.expiresAt!.getTime() / 1000 - (loginTs + MAX))).toBeLessThanOrEqual(2);

    // 11 h 59 min later (moved through the row): the session still works, and its use saves it…
    const shift = MAX - 60;
    await shiftSession(jar, shift);
    const again = await serviceLogin(jar, other);
    expect(again.askedToLogIn).toBe(false);
    const after = (await storedSession(jar))!;
    // …without extending it: still auth_time + 12 h.
    expect(Math.abs(after.expiresAt!.getTime() / 1000 - (loginTs - shift + MAX))).toBeLessThanOrEqual(2);

    // Past 12 h: a service asks for a card again.
    await shiftSession(jar, 120);
    expect((await serviceLogin(jar, rp)).askedToLogIn).toBe(true);
  });

  it('a rotated refresh token keeps the end of the login; past it the refresh is refused', async () => {
    const jar = new CookieJar();
    const login = await serviceLogin(jar, rp, pki.practitioners.valid, { scope: 'openid offline_access', prompt: 'consent' });
    const refreshToken = (login.tokens as unknown as { refresh_token: string }).refresh_token;
    expect(refreshToken).toBeTruthy();
    const authTime = Number(login.claims.auth_time);
    const refresh = (token: string) =>
      fetch(`${t.url}/oidc/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${rp.id}:${rp.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      });
    const rows = async () => t.portal.prisma.oidcPayload.findMany({ where: { model: 'RefreshToken', payload: { path: ['authTime'], equals: authTime } } });
    const first = await refresh(refreshToken);
    expect(first.status).toBe(200);
    const rotated = ((await first.json()) as { refresh_token: string }).refresh_token;
    // Both the first and the rotated token end at auth_time + 12 h.
    const stored = await rows();
    expect(stored.length).toBeGreaterThanOrEqual(2);
    for (const row of stored) expect(Math.abs(row.expiresAt!.getTime() / 1000 - (authTime + MAX))).toBeLessThanOrEqual(2);
    // Move the login 12 h into the past (the token's authTime and its stored end).
    await t.portal.prisma.$executeRaw`
      UPDATE oidc_payload SET payload = jsonb_set(jsonb_set(payload, '{authTime}', to_jsonb((payload->>'authTime')::bigint - ${MAX + 60})), '{exp}', to_jsonb((payload->>'exp')::bigint - ${MAX + 60})),
             expires_at = expires_at - make_interval(secs => ${MAX + 60})
       WHERE model = 'RefreshToken' AND (payload->>'authTime')::bigint = ${authTime}`;
    const late = await refresh(rotated);
    expect(late.status).toBe(400);
    expect(((await late.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('a portal session opened late in an SSO session ends with it (auth_time + 12 h, not its creation + 12 h)', async () => {
    const jar = new CookieJar();
    await serviceLogin(jar, rp);
    await shiftSession(jar, 11 * 3600);
    await followRedirects(jar, t.url, `${t.url}/portal/login`, (u) => !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/portal/'));
    const row = await t.portal.prisma.portalSession.findFirstOrThrow({ where: { endedAt: null }, orderBy: { createdAt: 'desc' } });
    const hoursLeft = (row.expiresAt.getTime() - Date.now()) / 3600_000;
    expect(hoursLeft).toBeGreaterThan(0.95);
    expect(hoursLeft).toBeLessThan(1.05);
  });
});

describe('portal and console sessions end after 15 idle minutes (§2)', () => {
  async function portalLogin() {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const id = portalCookie(jar)!;
    const { session } = await lookupPortalSession(t.portal.prisma, id, t.portal.env);
    return { jar, id, idHash: session!.idHash };
  }
  const idleFor = (idHash: string, minutes: number) =>
    t.portal.prisma.portalSession.update({ where: { idHash }, data: { lastSeenAt: new Date(Date.now() - minutes * 60_000) } });

  it('14 idle minutes: still logged in, and the request counts as activity', async () => {
    const { id, idHash } = await portalLogin();
    await idleFor(idHash, 14);
    expect((await lookupPortalSession(t.portal.prisma, id, t.portal.env)).session).not.toBeNull();
    const row = await t.portal.prisma.portalSession.findUniqueOrThrow({ where: { idHash } });
    expect(Date.now() - row.lastSeenAt.getTime()).toBeLessThan(60_000);
  });

  it('16 idle minutes: the session is over, endpoints answer session_idle, and the next portal login asks for a card although the SSO session lives', async () => {
    const { jar, id, idHash } = await portalLogin();
    await idleFor(idHash, 16);
    const res = await jar.fetch(`${t.url}/api/services/ehr-a/link-request`, jsonPost({}, { origin: t.url }));
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('session_idle');
    expect(body.message).toMatch(/もう一度ログイン/);
    expect((await lookupPortalSession(t.portal.prisma, id, t.portal.env)).ended).toBe('idle');
    // The SSO session is still there for the services, but the portal asks for a fresh authentication.
    expect(await storedSession(jar)).not.toBeNull();
    const begin = await jar.fetch(`${t.url}/portal/login?return=/`);
    const authUrl = new URL(begin.headers.get('location')!);
    expect(authUrl.searchParams.get('max_age')).toBe('0');
    const interaction = await followRedirects(jar, t.url, authUrl.href, (u) => u.pathname.startsWith('/interaction/') || u.pathname === '/');
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    expect((await (await jar.fetch(interaction.href)).json()).view.prompt).toBe('login');
  });

  it('the admin console refuses any change after 15 idle minutes and audits it', async () => {
    const { jar, idHash } = await portalLogin();
    const holder = await t.portal.prisma.portalSession.findUniqueOrThrow({ where: { idHash } });
    await t.portal.prisma.practitioner.update({ where: { id: holder.practitionerId }, data: { isAdmin: true } });
    const create = () => jar.fetch(`${t.url}/api/admin/audit/verify`, jsonPost({}, { origin: t.url }));
    expect((await create()).status).toBe(200);
    await idleFor(idHash, 16);
    const refused = await create();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('session_idle');
    const audit = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.audit.verify', errorCode: 'session_idle' } });
    expect(audit.result).toBe('failure');
  });
});

/** Moves this browser's SSO session `seconds` into the past: its login time and its stored end. */
async function shiftSession(jar: CookieJar, seconds: number) {
  const id = storedPayloadId('Session', /(?:^|; )_session=([^;]+)/.exec(jar.header())![1]!);
  await t.portal.prisma.$executeRaw`
    UPDATE oidc_payload
       SET payload = jsonb_set(jsonb_set(payload, '{loginTs}', to_jsonb((payload->>'loginTs')::bigint - ${seconds})), '{exp}', to_jsonb((payload->>'exp')::bigint - ${seconds})),
           expires_at = expires_at - make_interval(secs => ${seconds})
     WHERE model = 'Session' AND id = ${id}`;
}

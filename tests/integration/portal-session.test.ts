import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { confirmProviderLogout, hpkiCardLogin } from '../support/browser-flow.ts';
import { findPortalSession, hasRecentHpkiLogin } from '../../src/portal-session/portal-sessions.ts';

/** The portal logs in through its own provider like any other relying party. */
let t: TestPortal;
let pki: HpkiTestPki;

beforeAll(async () => {
  t = await startTestPortal('portal-session', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
}, 60_000);
afterAll(() => t?.close());

const cardLogin = (jar: CookieJar, start: string) => hpkiCardLogin(jar, t.url, t.portal.rp.origin, start, pki.practitioners.valid);

describe('portal login through its own provider', () => {
  it('logs in with no consent page (first party) and returns to the asked path', async () => {
    const jar = new CookieJar();
    const { landed } = await cardLogin(jar, `${t.url}/portal/login?return=/devices`);
    expect(landed.pathname).toBe('/devices');
    const id = /portal_session=([^;]+)/.exec(jar.header())?.[1];
    const session = await findPortalSession(t.portal.prisma, id, t.portal.env);
    expect(session?.acr).toBe('urn:hpki-sso:acr:hpki:aal3');
    expect(session && hasRecentHpkiLogin(session)).toBe(true);
    expect(await t.portal.prisma.auditEvent.count({ where: { event: 'portal.login' } })).toBe(1);
  });

  it('reauth=hpki offers only HPKI methods and forces a fresh login', async () => {
    const jar = new CookieJar();
    await cardLogin(jar, `${t.url}/portal/login`);
    const { view } = await cardLogin(jar, `${t.url}/portal/login?reauth=hpki&return=/devices`);
    expect(view.methods).toEqual(['hpki-card']);
  });

  it('never returns to another site', async () => {
    const res = await fetch(`${t.url}/portal/login?return=//evil.example/x`, { redirect: 'manual' });
    const state = res.headers.get('set-cookie') ?? '';
    expect(res.status).toBe(303);
    expect(state).toContain('portal_login=');
    const jar = new CookieJar();
    const { landed } = await cardLogin(jar, `${t.url}/portal/login?return=https://evil.example/`);
    expect(landed.origin + landed.pathname).toBe(`${t.url}/`);
  });

  it('a callback without a login in progress is refused with a code', async () => {
    const res = await fetch(`${t.url}/portal/callback?code=x&state=y`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('login_required');
  });

  it('logout ends the portal session and the provider session in one step', async () => {
    const jar = new CookieJar();
    await cardLogin(jar, `${t.url}/portal/login`);
    const id = /portal_session=([^;]+)/.exec(jar.header())![1]!;
    const refused = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    const res = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/logged-out');
    const providerSession = /(?:^|; )_session=([^;]+)/.exec(jar.header())?.[1];
    expect(providerSession).toBeUndefined();
    expect(await findPortalSession(t.portal.prisma, id, t.portal.env)).toBeNull();
  });

  it('a back-channel logout from the provider ends the portal session', async () => {
    const jar = new CookieJar();
    await cardLogin(jar, `${t.url}/portal/login`);
    const id = /portal_session=([^;]+)/.exec(jar.header())![1]!;
    expect(await findPortalSession(t.portal.prisma, id, t.portal.env)).not.toBeNull();
    // Logout at the provider (its question page, answered "everything"): the portal hears it on the back channel.
    const end = await jar.fetch(`${t.url}/oidc/session/end`);
    const confirm = await confirmProviderLogout(jar, t.url, await end.text());
    expect(confirm.status).toBe(303);
    expect(await findPortalSession(t.portal.prisma, id, t.portal.env)).toBeNull();
  });

  it('refuses a forged logout token', async () => {
    const res = await fetch(`${t.url}/portal/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=a.b.c',
    });
    expect(res.status).toBe(400);
  });
});

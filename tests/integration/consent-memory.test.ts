import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { confirmProviderLogout, followRedirects, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';

/**
 * "Log in once" (issue 16 §9): consent to a service is remembered for the practitioner, across
 * browsers and logouts, and asked again only when the service asks for more (scopes or claims).
 */
let t: TestPortal;
let pki: HpkiTestPki;
let client: { id: string; secret: string; redirectUri: string };
const BYE = 'http://localhost:9/bye';

beforeAll(async () => {
  t = await startTestPortal('consent-memory', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  client = await newService('ehr-net');
}, 60_000);
afterAll(() => t?.close());

interface Outcome {
  /** The consent page was shown (and approved). */
  asked: boolean;
  /** What the consent page listed, when shown. */
  consentView?: { scopes: string[]; claims: string[]; reasons: string[] };
  idToken: string;
}

/**
 * One authorization request of the service in this browser (PAR + PKCE), logging in with the card
 * when the provider asks, approving consent when asked, and redeeming the code.
 */
async function serviceLogin(jar: CookieJar, extra: Record<string, string> = {}): Promise<Outcome> {
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
  expect(par.status).toBe(201);
  const { request_uri } = (await par.json()) as { request_uri: string };
  const stop = (u: URL) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/');
  let landed = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${client.id}&request_uri=${encodeURIComponent(request_uri)}`, stop);
  let asked = false;
  let consentView: Outcome['consentView'];
  for (let step = 0; step < 3 && landed.pathname.startsWith('/interaction/'); step++) {
    const uid = landed.pathname.split('/')[2]!;
    const view = (await (await jar.fetch(landed.href)).json()).view;
    let redirectTo: string;
    if (view.prompt === 'login') {
      const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
      const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
    } else {
      asked = true;
      consentView = { scopes: view.scopes, claims: view.claims, reasons: view.reasons };
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' }))).json());
    }
    landed = await followRedirects(jar, t.url, redirectTo, stop);
  }
  const code = landed.searchParams.get('code');
  if (!code) throw new Error(`no code: ${landed.href}`);
  const res = await fetch(`${t.url}/oidc/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
  });
  expect(res.status).toBe(200);
  const { id_token } = (await res.json()) as { id_token: string };
  return { asked, consentView, idToken: id_token };
}

/** The service's logout button: RP-initiated logout with its ID token, confirmed as the page does by itself. */
async function rpInitiatedLogout(jar: CookieJar, idToken: string) {
  const end = await jar.fetch(`${t.url}/oidc/session/end?id_token_hint=${idToken}&post_logout_redirect_uri=${encodeURIComponent(BYE)}`);
  expect(end.status).toBe(200);
  const confirm = await confirmProviderLogout(jar, t.url, await end.text());
  expect(confirm.headers.get('location')).toBe(BYE);
}

async function newService(id: string) {
  const made = await upsertClient(t.portal.prisma, {
    clientId: id,
    name: `EHR ${id}`,
    redirectUris: ['http://localhost:9/cb'],
    postLogoutRedirectUris: [BYE],
    scope: 'openid profile hcrole offline_access',
  });
  return { id, secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
}
const useService = (c: typeof client) => {
  client = c;
};

const grantsOfService = () => t.portal.prisma.oidcPayload.count({ where: { model: 'Grant', payload: { path: ['clientId'], equals: client.id } } });

describe('consent memory', () => {
  it('asks the first time, then not again on another terminal', async () => {
    const first = await serviceLogin(new CookieJar());
    expect(first.asked).toBe(true);
    expect(first.consentView?.scopes).toEqual(['openid', 'profile', 'hcrole']);
    const second = await serviceLogin(new CookieJar());
    expect(second.asked).toBe(false);
  });

  it('is not asked again after the service’s own logout (RP-initiated, end_session): the grant survives it', async () => {
    const jar = new CookieJar();
    const before = await serviceLogin(jar);
    expect(before.asked).toBe(false);
    const grants = await grantsOfService();
    await rpInitiatedLogout(jar, before.idToken);
    expect(await grantsOfService()).toBe(grants);
    for (let i = 0; i < 3; i++) {
      const again = await serviceLogin(jar);
      expect(again.asked, `login ${i + 1} after the logout`).toBe(false);
      await rpInitiatedLogout(jar, again.idToken);
    }
  });

  it('is not asked again after the portal’s own logout', async () => {
    const jar = new CookieJar();
    await serviceLogin(jar);
    const res = await jar.fetch(`${t.url}/portal/logout`, { method: 'POST', headers: { origin: t.url } });
    expect(res.status).toBeLessThan(400);
    expect((await serviceLogin(jar)).asked).toBe(false);
  });

  it('is asked again when the service requests a scope it was not given, and then remembered', async () => {
    // A grant of openid + hcrole only (another service, so the earlier grants do not answer).
    useService(await newService('ehr-scopes'));
    expect((await serviceLogin(new CookieJar(), { scope: 'openid hcrole' })).asked).toBe(true);
    const jar = new CookieJar();
    const same = await serviceLogin(jar, { scope: 'openid hcrole' });
    expect(same.asked).toBe(false);
    await rpInitiatedLogout(jar, same.idToken);
    const more = await serviceLogin(jar, { scope: 'openid profile hcrole' });
    expect(more.asked).toBe(true);
    expect(more.consentView?.reasons).toContain('op_scopes_missing');
    await rpInitiatedLogout(jar, more.idToken);
    expect((await serviceLogin(jar, { scope: 'openid profile hcrole' })).asked).toBe(false);
    // Asking for less than was granted needs no new consent either.
    expect((await serviceLogin(new CookieJar(), { scope: 'openid hcrole' })).asked).toBe(false);
  });

  it('is asked again when the claims parameter names a claim that no granted scope covers, and then remembered', async () => {
    useService(await newService('ehr-claims'));
    expect((await serviceLogin(new CookieJar(), { scope: 'openid hcrole' })).asked).toBe(true);
    const claims = JSON.stringify({ id_token: { name: null } });
    const more = await serviceLogin(new CookieJar(), { scope: 'openid hcrole', claims });
    expect(more.asked).toBe(true);
    expect(more.consentView?.reasons).toContain('op_claims_missing');
    expect((await serviceLogin(new CookieJar(), { scope: 'openid hcrole', claims })).asked).toBe(false);
  });
});

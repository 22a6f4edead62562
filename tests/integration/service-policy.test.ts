import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { ACR } from '../../src/auth/assurance.ts';

/** Each linked service's policy applies at login: qualifications, minimum acr, methods, disabled. */
let t: TestPortal;
let pki: HpkiTestPki;
const redirectUri = 'http://localhost:9/cb';

async function service(clientId: string, metadata: Record<string, unknown>) {
  const { clientSecret } = await upsertClient(t.portal.prisma, { clientId, name: clientId, redirectUris: [redirectUri] });
  const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId } });
  await t.portal.prisma.oidcClient.update({ where: { clientId }, data: { metadata: JSON.parse(JSON.stringify({ ...(row.metadata as object), ...metadata })) } });
  return { id: clientId, secret: clientSecret, redirectUri };
}

async function cardLogin(client: { id: string; secret: string; redirectUri: string }, variant: keyof HpkiTestPki['practitioners'] = 'valid') {
  const login = await beginLoginInteraction(t.url, client);
  const page = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}`)).json();
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners[variant], { origin: t.portal.rp.origin, nonce });
  const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  return { view: page.view, status: res.status, body: await res.json() };
}

beforeAll(async () => {
  t = await startTestPortal('service-policy', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
}, 60_000);
afterAll(() => t?.close());

describe('service policy at login', () => {
  it('a doctor logs in where doctors are allowed', async () => {
    const client = await service('doctors-only', { allowed_hc_roles: ['Medical Doctor'] });
    expect((await cardLogin(client)).status).toBe(200);
  });

  it('a practitioner without an allowed qualification gets a refusal naming it', async () => {
    const client = await service('pharmacy', { allowed_hc_roles: ['Pharmacist'] });
    const res = await cardLogin(client);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('service_hcrole_required');
    expect(res.body.message).toContain('薬剤師 (Pharmacist)');
    expect(await t.portal.prisma.auditEvent.count({ where: { clientId: 'pharmacy', errorCode: 'service_hcrole_required' } })).toBe(1);
  });

  it('a certificate without hcRole cannot enter a service that requires one', async () => {
    const client = await service('doctors-only-2', { allowed_hc_roles: ['Medical Doctor'] });
    // The noHcRole card belongs to a new holder only if its identity differs; here it is the same
    // person, so the certificate used (no hcRole) decides, not the record.
    const res = await cardLogin(client, 'noHcRole');
    expect(res.body.error).toBe('service_hcrole_required');
  });

  it('minimum acr and method list narrow the offered methods', async () => {
    const client = await service('hpki-level', { min_acr: ACR.hpki });
    expect((await cardLogin(client)).view.methods).toEqual(['hpki-card']);
    const passkeyOnly = await service('passkey-only', { login_methods: ['passkey'] });
    const login = await beginLoginInteraction(t.url, passkeyOnly);
    const page = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}`)).json();
    expect(page.view.methods).toEqual(['passkey']);
    // The server refuses what the page did not offer.
    const challenge = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}));
    expect(challenge.status).toBe(400);
    expect((await challenge.json()).error).toBe('method_not_available');
  });

  it('invalid policy metadata is refused when the client is loaded', async () => {
    const client = await service('bad-policy', { min_acr: 'urn:unknown' });
    const res = await fetch(`${t.url}/oidc/auth?client_id=${client.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, { redirect: 'manual' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('a disabled service cannot start a login', async () => {
    const client = await service('disabled', {});
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'disabled' }, data: { enabled: false } });
    const res = await fetch(`${t.url}/oidc/auth?client_id=${client.id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('invalid_client');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { finishAuthorization, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { approveServiceLink, rejectServiceLink } from '../../src/clients/service-links.ts';

/** Applying for SSO to a service, its approval with the service's own user ID, and `linked_account`. */
let t: TestPortal;
let pki: HpkiTestPki;
let ehr: { id: string; secret: string; redirectUri: string };
let other: { id: string; secret: string; redirectUri: string };

beforeAll(async () => {
  t = await startTestPortal('service-links', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  const made = await upsertClient(t.portal.prisma, { clientId: 'ehr', name: 'EHR', redirectUris: ['http://localhost:9/ehr'] });
  ehr = { id: 'ehr', secret: made.clientSecret, redirectUri: 'http://localhost:9/ehr' };
  const made2 = await upsertClient(t.portal.prisma, { clientId: 'other', name: 'Other', redirectUris: ['http://localhost:9/other'] });
  other = { id: 'other', secret: made2.clientSecret, redirectUri: 'http://localhost:9/other' };
}, 60_000);
afterAll(() => t?.close());

async function idTokenFor(client: typeof ehr) {
  const login = await beginLoginInteraction(t.url, client);
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  return (await finishAuthorization(login.jar, t.url, redirectTo, client, login.verifier)).claims;
}

describe('service links', () => {
  it('a practitioner applies; nothing is released before approval', async () => {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const res = await jar.fetch(`${t.url}/api/services/ehr/link-request`, jsonPost({}, { origin: t.url }));
    expect(await res.json()).toEqual({ status: 'requested' });
    expect((await idTokenFor(ehr)).linked_account).toBeUndefined();
  });

  it('after approval with the service’s own ID, that service — and only it — receives linked_account', async () => {
    const link = await t.portal.prisma.serviceLink.findFirstOrThrow({ where: { clientId: 'ehr' } });
    await approveServiceLink(t.portal.prisma, link.id, 'EHR-USER-0042', 'test');
    expect((await idTokenFor(ehr)).linked_account).toBe('EHR-USER-0042');
    expect((await idTokenFor(other)).linked_account).toBeUndefined();
  });

  it('cannot be decided twice, and refuses a malformed service ID', async () => {
    const link = await t.portal.prisma.serviceLink.findFirstOrThrow({ where: { clientId: 'ehr' } });
    await expect(rejectServiceLink(t.portal.prisma, link.id, 'test')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(approveServiceLink(t.portal.prisma, link.id, 'has spaces', 'test')).rejects.toThrow();
  });

  it('applying needs a portal session and an existing service', async () => {
    expect((await fetch(`${t.url}/api/services/ehr/link-request`, jsonPost({}, { origin: t.url }))).status).toBe(401);
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    const res = await jar.fetch(`${t.url}/api/services/nope/link-request`, jsonPost({}, { origin: t.url }));
    expect(res.status).toBe(404);
  });
});

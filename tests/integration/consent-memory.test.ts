import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { followRedirects, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';

/** "Log in once": consent to a service is remembered for the practitioner, not per browser session. */
let t: TestPortal;
let pki: HpkiTestPki;
let client: { id: string; secret: string; redirectUri: string };

beforeAll(async () => {
  t = await startTestPortal('consent-memory', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  const made = await upsertClient(t.portal.prisma, { clientId: 'ehr-net', name: 'EHR network', redirectUris: ['http://localhost:9/cb'] });
  client = { id: 'ehr-net', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
}, 60_000);
afterAll(() => t?.close());

/** Logs in with the card in a fresh browser; where the provider sends the browser next. */
async function loginInFreshBrowser() {
  const login = await beginLoginInteraction(t.url, client);
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  const next = await followRedirects(login.jar, t.url, redirectTo, (u) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'));
  return { next, jar: login.jar };
}

describe('consent memory', () => {
  it('asks the first time, then not again on another terminal', async () => {
    const first = await loginInFreshBrowser();
    expect(first.next.pathname).toMatch(/^\/interaction\//);
    const uid = first.next.pathname.split('/')[2]!;
    const view = (await (await first.jar.fetch(first.next.href)).json()).view;
    expect(view.prompt).toBe('consent');
    await first.jar.fetch(`${t.url}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' }));

    const second = await loginInFreshBrowser();
    expect(second.next.href.startsWith(client.redirectUri)).toBe(true);
    expect(second.next.searchParams.get('code')).toBeTruthy();
  });
});

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { followRedirects, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { upsertClient } from '../../src/clients/clients.ts';

/**
 * Issue 13 §22: a dump of every table yields no usable access token, refresh token, authorization
 * code, session id or client secret — they are stored as hashes (or sealed with the key-encryption
 * key, which is never in the database).
 */
let t: TestPortal;
let pki: HpkiTestPki;
beforeAll(async () => {
  t = await startTestPortal('secrets-at-rest', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
}, 60_000);
afterAll(() => t?.close());

/** Every row of every table of the portal's schema, as text. */
async function dumpDatabase(): Promise<string> {
  const tables = await t.portal.prisma.$queryRaw<{ name: string }[]>`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'`;
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await t.portal.prisma.$queryRawUnsafe<{ r: string }[]>(`SELECT row_to_json(x)::text AS r FROM "${name.replaceAll('"', '')}" x`);
    parts.push(...rows.map((row) => row.r));
  }
  return parts.join('\n');
}

describe('secrets at rest', () => {
  it('no token, code, session id or client secret in a dump of the database', async () => {
    const made = await upsertClient(t.portal.prisma, { clientId: 'dump-rp', name: 'RP', redirectUris: ['http://localhost:9/cb'] });
    const client = { id: 'dump-rp', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
    const verifier = crypto.randomBytes(32).toString('base64url');
    const par = await fetch(`${t.url}/oidc/request`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: 'openid profile hcrole offline_access',
        prompt: 'consent',
        code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }),
    });
    const { request_uri: requestUri } = (await par.json()) as { request_uri: string };
    const jar = new CookieJar();
    const login = await followRedirects(jar, t.url, `${t.url}/oidc/auth?client_id=${client.id}&request_uri=${encodeURIComponent(requestUri)}`, (u) => u.pathname.startsWith('/interaction/'));
    const uid = login.pathname.split('/')[2]!;
    const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
    const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
    const { redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
    let landed = await followRedirects(jar, t.url, redirectTo, (u) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'));
    if (landed.pathname.startsWith('/interaction/')) {
      const consentUid = landed.pathname.split('/')[2]!;
      const { redirectTo: next } = await (await jar.fetch(`${t.url}/interaction/${consentUid}/consent`, jsonPost({ decision: 'approve' }))).json();
      landed = await followRedirects(jar, t.url, next, (u) => u.href.startsWith(client.redirectUri));
    }
    const code = landed.searchParams.get('code')!;
    const tokens = (await (
      await fetch(`${t.url}/oidc/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
      })
    ).json()) as { access_token: string; refresh_token: string; id_token: string };
    expect(tokens.refresh_token).toBeTruthy();
    // The portal's own session in the same browser (single sign-on).
    await followRedirects(jar, t.url, `${t.url}/portal/login`, (u) => !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/portal/'));
    const cookie = (name: string) => new RegExp(`(?:^|; )${name}=([^;]+)`).exec(jar.header())?.[1];
    const secrets = {
      'access token': tokens.access_token,
      'refresh token': tokens.refresh_token,
      'authorization code': code,
      'provider session id': cookie('_session'),
      'portal session id': cookie('portal_session'),
      'client secret': client.secret,
      'pushed request id': requestUri.split(':').at(-1),
    };
    const dump = await dumpDatabase();
    expect(dump.length).toBeGreaterThan(10_000);
    for (const [what, value] of Object.entries(secrets)) {
      expect(value, what).toBeTruthy();
      expect(dump.includes(value!), `${what} in the dump`).toBe(false);
    }
    // And they still work: the access token at userinfo, the refresh token at the token endpoint.
    expect((await fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    const refreshed = await fetch(`${t.url}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
  });

  it('what the dump holds is not usable: the stored secret hash and token ids are refused', async () => {
    const made = await upsertClient(t.portal.prisma, { clientId: 'dump-rp-2', name: 'RP', redirectUris: ['http://localhost:9/cb'] });
    const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'dump-rp-2' } });
    const stored = String((row.metadata as Record<string, unknown>).client_secret);
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/);
    const introspect = (secret: string) =>
      fetch(`${t.url}/oidc/token/introspection`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`dump-rp-2:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: 'x' }),
      });
    expect((await introspect(made.clientSecret)).status).toBe(200);
    expect((await introspect(stored)).status).toBe(401);
    // A secret that looks like a stored hash cannot be registered.
    await expect(upsertClient(t.portal.prisma, { clientId: 'dump-rp-3', name: 'RP', redirectUris: ['http://localhost:9/cb'], secret: stored })).rejects.toThrow(/stored hash/);
    // A client row written with a clear secret (an older tool, a hand-made row) is stored hashed.
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'dump-rp-2' }, data: { metadata: { ...(row.metadata as object), client_secret: 'a-clear-secret-of-some-length' } } });
    const rewritten = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'dump-rp-2' } });
    expect((rewritten.metadata as Record<string, unknown>).client_secret).toBe(`sha256:${crypto.createHash('sha256').update('a-clear-secret-of-some-length').digest('hex')}`);
    expect((await introspect('a-clear-secret-of-some-length')).status).toBe(200);
    // Stored access-token ids are hashes: presented as bearer tokens they are unknown.
    const ids = await t.portal.prisma.oidcPayload.findMany({ where: { model: 'AccessToken' }, select: { id: true } });
    expect(ids.length).toBeGreaterThan(0);
    for (const { id } of ids.slice(0, 3)) expect((await fetch(`${t.url}/oidc/me`, { headers: { authorization: `Bearer ${id}` } })).status).toBe(401);
  });
});

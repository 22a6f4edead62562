import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { finishAuthorization, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { upsertSigningClient } from '../../src/clients/clients.ts';
import { errorMessage } from '../../src/errors/catalogue.ts';

/**
 * The console's OAuth settings per service (issue 13 §13, §16): ES256 ID tokens for new services
 * (RS256 on request, stored services keep theirs), the FAPI 2.0 box with its checks and stable
 * codes, signing services always FAPI, and the resource servers that may introspect tokens.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let admin: ConsoleUser;
const redirectUri = 'http://localhost:9/svc/cb';

const form = (clientId: string, extra: Record<string, unknown> = {}) => ({
  clientId,
  name: `Service ${clientId}`,
  redirectUris: [redirectUri],
  subjectType: 'public',
  ...extra,
});
const stored = async (clientId: string) => (await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId } })).metadata as Record<string, unknown>;
const settings = async (clientId: string) =>
  ((await (await admin.call('services')).json()) as { services: { clientId: string; settings: Record<string, unknown> }[] }).services.find((s) => s.clientId === clientId)!.settings;

/** The header of the ID token a card login to this secret service yields. */
async function idTokenAlg(client: { id: string; secret: string }) {
  const c = { ...client, redirectUri };
  const login = await beginLoginInteraction(t.url, c);
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const { redirectTo } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json();
  const { tokens } = await finishAuthorization(login.jar, t.url, redirectTo, c, login.verifier);
  return decodeProtectedHeader(tokens.id_token).alg;
}

async function jwks() {
  const { publicKey } = await generateKeyPair('ES256');
  return { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' }] };
}

beforeAll(async () => {
  t = await startTestPortal('admin-services-oauth', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  admin = await consoleUser(t, { admin: true, registrationNumber: 'OAUTH-CONSOLE' });
}, 60_000);
afterAll(() => t?.close());

describe('ID token algorithm', () => {
  it('a new service signs ID tokens with ES256 unless the administrator chooses RS256', async () => {
    const es = await (await admin.call('services', form('svc-es'))).json();
    expect((await stored('svc-es')).id_token_signed_response_alg).toBe('ES256');
    expect(await idTokenAlg({ id: 'svc-es', secret: es.clientSecret })).toBe('ES256');
    const rs = await (await admin.call('services', form('svc-rs', { idTokenAlg: 'RS256' }))).json();
    expect((await stored('svc-rs')).id_token_signed_response_alg).toBe('RS256');
    expect(await idTokenAlg({ id: 'svc-rs', secret: rs.clientSecret })).toBe('RS256');
    expect((await admin.call('services', form('svc-bad-alg', { idTokenAlg: 'HS256' }))).status).toBe(400);
  });

  it('a service stored before ES256 became the default keeps RS256, in the provider and through an edit', async () => {
    const secret = crypto.randomBytes(32).toString('base64url');
    await t.portal.prisma.oidcClient.create({
      data: {
        clientId: 'svc-old',
        name: 'Older service',
        metadata: { client_id: 'svc-old', client_secret: secret, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic', subject_type: 'public' },
      },
    });
    expect(await idTokenAlg({ id: 'svc-old', secret })).toBe('RS256');
    const shown = await settings('svc-old');
    expect(shown).toMatchObject({ idTokenAlg: 'RS256', fapi: false, introspectionResourceServers: [] });
    expect((await admin.call('services/svc-old', { ...shown, name: 'Older service, renamed' })).status).toBe(200);
    expect((await stored('svc-old')).id_token_signed_response_alg).toBe('RS256');
    expect(await idTokenAlg({ id: 'svc-old', secret })).toBe('RS256');
  });
});

describe('FAPI 2.0 Security Profile box', () => {
  it('is stored in the metadata with what it implies (PAR, DPoP) and shown again', async () => {
    const res = await admin.call('services', form('svc-fapi', { authMethod: 'private_key_jwt', jwks: await jwks(), fapi: true }));
    expect(res.status).toBe(201);
    expect(await stored('svc-fapi')).toMatchObject({
      fapi_profile: '2.0',
      require_pushed_authorization_requests: true,
      dpop_bound_access_tokens: true,
      token_endpoint_auth_method: 'private_key_jwt',
      id_token_signed_response_alg: 'ES256',
    });
    expect(await settings('svc-fapi')).toMatchObject({ fapi: true, idTokenAlg: 'ES256', authMethod: 'private_key_jwt' });
    const client = await t.portal.provider.Client.find('svc-fapi');
    expect(client?.requirePushedAuthorizationRequests).toBe(true);
    expect(client?.dpopBoundAccessTokens).toBe(true);
  });

  it('PS256 ID tokens are allowed with it', async () => {
    expect((await admin.call('services', form('svc-fapi-ps', { authMethod: 'private_key_jwt', jwks: await jwks(), fapi: true, idTokenAlg: 'PS256' }))).status).toBe(201);
    expect((await stored('svc-fapi-ps')).id_token_signed_response_alg).toBe('PS256');
  });

  it('refuses a client secret (confidential with its own key only) and RS256, with stable codes in Japanese and English', async () => {
    const secret = await admin.call('services', form('svc-fapi-secret', { fapi: true }));
    expect(secret.status).toBe(400);
    expect(await secret.json()).toMatchObject({ error: 'admin_fapi_private_key_jwt', message: errorMessage('admin_fapi_private_key_jwt', 'ja') });
    const english = await admin.call('services', form('svc-fapi-secret', { fapi: true, authMethod: 'client_secret_post' }), { 'accept-language': 'en', cookie: `${admin.cookie}; locale=en` });
    expect((await english.json()).error).toBe('admin_fapi_private_key_jwt');
    const rs = await admin.call('services', form('svc-fapi-rs', { authMethod: 'private_key_jwt', jwks: await jwks(), fapi: true, idTokenAlg: 'RS256' }));
    expect(rs.status).toBe(400);
    expect((await rs.json()).error).toBe('admin_fapi_id_token_alg');
    expect(await t.portal.prisma.oidcClient.count({ where: { clientId: { in: ['svc-fapi-secret', 'svc-fapi-rs'] } } })).toBe(0);
    for (const code of ['admin_fapi_private_key_jwt', 'admin_fapi_id_token_alg', 'admin_fapi_signing_service', 'admin_resource_server_invalid']) {
      expect(errorMessage(code, 'ja')).not.toBe(errorMessage('internal_error', 'ja'));
      expect(errorMessage(code, 'en')).not.toBe(errorMessage('internal_error', 'en'));
    }
    const refused = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.service.create', errorCode: 'admin_fapi_private_key_jwt' } });
    expect(refused.practitionerId).toBe(admin.id);
  });

  it('unticking it on a console-made service removes PAR and DPoP with it', async () => {
    const shown = await settings('svc-fapi');
    expect((await admin.call('services/svc-fapi', { ...shown, fapi: false })).status).toBe(200);
    const after = await stored('svc-fapi');
    expect(after.fapi_profile).toBeUndefined();
    expect(after.require_pushed_authorization_requests).toBeUndefined();
    expect(after.dpop_bound_access_tokens).toBeUndefined();
  });

  it('a remote-signing service is always FAPI: shown ticked, refused unticked, and an edit keeps it a signing service', async () => {
    await upsertSigningClient(t.portal.prisma, { clientId: 'svc-ehr', name: 'EHR', redirectUris: [redirectUri], jwks: (await jwks()) as { keys: object[] } });
    const { fapi_profile: _f, id_token_signed_response_alg: _a, ...older } = await stored('svc-ehr');
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'svc-ehr' }, data: { metadata: older as object } });
    const page = await fetch(`${t.url}/api/admin/services`, { headers: { cookie: admin.cookie } });
    expect(page.status).toBe(200);
    const shown = await settings('svc-ehr');
    expect(shown).toMatchObject({ fapi: true, idTokenAlg: 'ES256', authMethod: 'private_key_jwt' });
    const unticked = await admin.call('services/svc-ehr', { ...shown, fapi: false });
    expect(unticked.status).toBe(400);
    expect((await unticked.json()).error).toBe('admin_fapi_signing_service');
    expect((await admin.call('services/svc-ehr', { ...shown, name: 'EHR, renamed' })).status).toBe(200);
    expect(await stored('svc-ehr')).toMatchObject({
      authorization_details_types: ['credential'],
      token_endpoint_auth_signing_alg: 'ES256',
      dpop_bound_access_tokens: true,
      require_pushed_authorization_requests: true,
      fapi_profile: '2.0',
    });
  });
});

describe('resource servers that may introspect a service’s tokens', () => {
  it('must be other registered services; they are stored and shown', async () => {
    for (const server of ['svc-nobody', 'svc-rs-self', 'hpki-sso-portal']) {
      const res = await admin.call('services', form('svc-rs-self', { introspectionResourceServers: [server] }));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'admin_resource_server_invalid', message: expect.stringContaining(server) });
    }
    expect((await admin.call('services', form('svc-rs-self', { introspectionResourceServers: ['svc-es', 'svc-rs'] }))).status).toBe(201);
    expect((await stored('svc-rs-self')).introspection_resource_servers).toEqual(['svc-es', 'svc-rs']);
    expect((await settings('svc-rs-self')).introspectionResourceServers).toEqual(['svc-es', 'svc-rs']);
  });
});

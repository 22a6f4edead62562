import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { finishAuthorization, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { hashClientSecret } from '../../src/crypto/client-secret.ts';

/** The console's linked services: access control, create with a one-time secret, validation, rotate, disable, links. */
let t: TestPortal;
let pki: HpkiTestPki;
let admin: ConsoleUser;
let doctor: ConsoleUser;
const redirectUri = 'http://localhost:9/ehr/callback';

const serviceForm = (clientId: string, extra: Record<string, unknown> = {}) => ({
  clientId,
  name: `Regional network ${clientId}`,
  redirectUris: [redirectUri],
  postLogoutRedirectUris: ['http://localhost:9/ehr/'],
  subjectType: 'pairwise',
  ...extra,
});

async function cardLoginTo(client: { id: string; secret: string; redirectUri: string }) {
  const login = await beginLoginInteraction(t.url, client);
  const { nonce } = await (await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(pki.practitioners.valid, { origin: t.portal.rp.origin, nonce });
  const verify = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  const { redirectTo } = await verify.json();
  return (await finishAuthorization(login.jar, t.url, redirectTo, client, login.verifier)).claims;
}

/** The token endpoint's answer to a client authenticating with this secret (the code itself is bogus). */
async function tokenEndpointWith(clientId: string, secret: string) {
  const res = await fetch(`${t.url}/oidc/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: redirectUri, code_verifier: 'x'.repeat(43) }),
  });
  return { status: res.status, error: ((await res.json()) as { error: string }).error };
}

beforeAll(async () => {
  t = await startTestPortal('admin-services', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-1' });
  doctor = await consoleUser(t, { admin: false, registrationNumber: 'DOCTOR-1' });
}, 60_000);
afterAll(() => t?.close());

describe('console access', () => {
  it('refuses anonymous people and practitioners without the admin role, and records it', async () => {
    const anonymous = await fetch(`${t.url}/api/admin/services`, { headers: { origin: t.url } });
    expect(anonymous.status).toBe(403);
    expect((await anonymous.json()).error).toBe('admin_required');
    const notAdmin = await doctor.call('services', serviceForm('sneaky'));
    expect(notAdmin.status).toBe(403);
    expect((await notAdmin.json()).error).toBe('admin_required');
    expect(await t.portal.prisma.oidcClient.count({ where: { clientId: 'sneaky' } })).toBe(0);
    const refused = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.service.create', result: 'failure', practitionerId: doctor.id } });
    expect(refused.errorCode).toBe('admin_required');
  });

  it('refuses a cross-site request and a body that is not JSON, even from an administrator', async () => {
    const crossSite = await admin.call('services', serviceForm('csrf-1'), { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const fetchSite = await fetch(`${t.url}/api/admin/services`, { headers: { cookie: admin.cookie, 'sec-fetch-site': 'cross-site' } });
    expect(fetchSite.status).toBe(403);
    const form = await fetch(`${t.url}/api/admin/services`, {
      method: 'POST',
      headers: { cookie: admin.cookie, origin: t.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'clientId=csrf-2',
    });
    expect(form.status).toBe(415);
    expect(await t.portal.prisma.oidcClient.count({ where: { clientId: { in: ['csrf-1', 'csrf-2'] } } })).toBe(0);
  });

  it('answers unknown paths and wrong methods with codes', async () => {
    expect((await admin.call('nothing-here')).status).toBe(404);
    const wrongMethod = await fetch(`${t.url}/api/admin/audit/verify`, { headers: { cookie: admin.cookie } });
    expect(wrongMethod.status).toBe(405);
  });
});

describe('linked services', () => {
  let secret: string;

  it('creates a service; the secret is shown once and an authorization with it works', async () => {
    const res = await admin.call('services', serviceForm('ehr-east', { allowedHcRoles: ['Medical Doctor'], releasedClaims: ['profile', 'hcRole', 'linked_account'] }));
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.clientId).toBe('ehr-east');
    expect(created.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secret = created.clientSecret;
    // Never again: the list and the service page do not carry it.
    const list = await (await admin.call('services')).text();
    expect(list).toContain('ehr-east');
    expect(list).not.toContain(secret);
    const claims = await cardLoginTo({ id: 'ehr-east', secret, redirectUri });
    expect(claims.aud).toBe('ehr-east');
    expect(claims.hcRole).toBeDefined();
    expect(claims.hpki).toBeUndefined();
  });

  it('refuses a second service with the same client ID', async () => {
    const res = await admin.call('services', serviceForm('ehr-east'));
    expect(res.status).toBe(409);
    expect((await res.json()).error).toBe('admin_client_exists');
  });

  it('refuses metadata the provider rejects, with its code and message', async () => {
    // Pairwise with redirect URIs on two hosts needs a sector_identifier_uri.
    const res = await admin.call('services', serviceForm('bad-meta', { redirectUris: ['https://a.example/cb', 'https://b.example/cb'] }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('admin_client_metadata_invalid');
    expect(body.providerError).toBe('invalid_client_metadata');
    expect(body.description).toMatch(/sector_identifier_uri/);
    expect(body.message).toContain('sector_identifier_uri');
    expect(await t.portal.prisma.oidcClient.count({ where: { clientId: 'bad-meta' } })).toBe(0);
    const failure = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.service.create', errorCode: 'admin_client_metadata_invalid' } });
    expect(failure.practitionerId).toBe(admin.id);
  });

  it('refuses a malformed form field by field', async () => {
    const res = await admin.call('services', serviceForm('x', { redirectUris: ['not a url'], minAcr: 'urn:nope' }));
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe('admin_input_invalid');
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(expect.arrayContaining(['clientId', 'redirectUris.0', 'minAcr']));
  });

  it('edits the policy; the secret stays', async () => {
    const res = await admin.call('services/ehr-east', { ...serviceForm('ehr-east'), name: 'East network', allowedHcRoles: ['Pharmacist'] });
    expect(res.status).toBe(200);
    expect((await res.json()).clientSecret).toBeUndefined();
    const stored = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'ehr-east' } });
    expect(stored.name).toBe('East network');
    expect((stored.metadata as Record<string, unknown>).allowed_hc_roles).toEqual(['Pharmacist']);
    // Only its hash is stored (issue 13 §22), and it is still the same secret.
    expect((stored.metadata as Record<string, unknown>).client_secret).toBe(hashClientSecret(secret));
    await admin.call('services/ehr-east', { ...serviceForm('ehr-east'), name: 'East network' });
  });

  it('the account-link API is a choice of the form: client_credentials granted, and taken away again by an edit', async () => {
    const grants = async () => (((await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'ehr-east' } })).metadata as Record<string, unknown>).grant_types);
    expect(await grants()).not.toContain('client_credentials');
    expect((await admin.call('services/ehr-east', { ...serviceForm('ehr-east'), name: 'East network', accountLinkApi: true })).status).toBe(200);
    expect(await grants()).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect((await admin.call('services/ehr-east', { ...serviceForm('ehr-east'), name: 'East network' })).status).toBe(200);
    expect(await grants()).toEqual(['authorization_code', 'refresh_token']);
  });

  it('rotates the secret: the old one fails at the token endpoint, the new one is accepted', async () => {
    expect((await tokenEndpointWith('ehr-east', secret)).error).toBe('invalid_grant');
    const res = await admin.call('services/ehr-east/rotate-secret', {});
    expect(res.status).toBe(200);
    const { clientSecret } = await res.json();
    expect(clientSecret).not.toBe(secret);
    expect(await tokenEndpointWith('ehr-east', secret)).toEqual({ status: 401, error: 'invalid_client' });
    expect((await tokenEndpointWith('ehr-east', clientSecret)).error).toBe('invalid_grant');
    secret = clientSecret;
  });

  it('disables a service (no login can start) and enables it again', async () => {
    expect((await admin.call('services/ehr-east/enabled', { enabled: false })).status).toBe(200);
    await expect(beginLoginInteraction(t.url, { id: 'ehr-east', secret, redirectUri })).rejects.toThrow(/PAR failed: 401/);
    expect((await admin.call('services/ehr-east/enabled', { enabled: true })).status).toBe(200);
    await expect(beginLoginInteraction(t.url, { id: 'ehr-east', secret, redirectUri })).resolves.toBeDefined();
  });

  it('registers a private_key_jwt service with a JWKS; it has no secret to rotate', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
    const res = await admin.call('services', serviceForm('ehr-pkjwt', { authMethod: 'private_key_jwt', jwks: { keys: [jwk] } }));
    expect(res.status).toBe(201);
    expect((await res.json()).clientSecret).toBeUndefined();
    const stored = (await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'ehr-pkjwt' } })).metadata as Record<string, unknown>;
    expect(stored.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(stored.client_secret).toBeUndefined();
    const rotate = await admin.call('services/ehr-pkjwt/rotate-secret', {});
    expect((await rotate.json()).error).toBe('admin_client_no_secret');
    // A private key in the JWKS is refused by the provider.
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const leaked = await admin.call('services', serviceForm('ehr-leak', { authMethod: 'private_key_jwt', jwks: { keys: [await exportJWK(privateKey)] } }));
    expect((await leaked.json()).error).toBe('admin_client_metadata_invalid');
    const uri = await admin.call('services', serviceForm('ehr-jwks-uri', { authMethod: 'private_key_jwt', jwksUri: 'https://ehr.example/jwks.json' }));
    expect(uri.status).toBe(201);
  });

  it('the portal’s own client cannot be changed', async () => {
    const res = await admin.call('services/hpki-sso-portal/rotate-secret', {});
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe('admin_client_protected');
  });
});

describe('link requests', () => {
  it('approving with the service’s own user ID releases linked_account to that service', async () => {
    const jar = new CookieJar();
    await hpkiCardLogin(jar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
    expect((await jar.fetch(`${t.url}/api/services/ehr-east/link-request`, jsonPost({}, { origin: t.url }))).status).toBe(200);
    const { requests } = await (await admin.call('services/ehr-east/link-requests')).json();
    expect(requests).toHaveLength(1);
    const bad = await admin.call(`link-requests/${requests[0].id}/approve`, { serviceUserId: 'has spaces' });
    expect((await bad.json()).error).toBe('admin_input_invalid');
    const ok = await admin.call(`link-requests/${requests[0].id}/approve`, { serviceUserId: 'EAST-0042' });
    expect(ok.status).toBe(200);
    const again = await admin.call(`link-requests/${requests[0].id}/reject`, {});
    expect((await again.json()).error).toBe('admin_link_not_pending');
    const { clientSecret } = await (await admin.call('services/ehr-east/rotate-secret', {})).json();
    expect((await cardLoginTo({ id: 'ehr-east', secret: clientSecret, redirectUri })).linked_account).toBe('EAST-0042');
    const approved = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.link.decide', result: 'success' } });
    expect(approved.clientId).toBe('ehr-east');
    expect((approved.details as Record<string, unknown>).serviceUserId).toBe('EAST-0042');
  });
});

describe('audit of the console', () => {
  it('records every action by the administrator, successes and failures', async () => {
    const events = await t.portal.prisma.auditEvent.findMany({ where: { event: { startsWith: 'admin.' }, practitionerId: admin.id } });
    const kinds = new Set(events.map((e) => `${e.event}:${e.result}`));
    for (const expected of [
      'admin.service.create:success',
      'admin.service.create:failure',
      'admin.service.update:success',
      'admin.service.rotate_secret:success',
      'admin.service.rotate_secret:failure',
      'admin.service.set_enabled:success',
      'admin.link.decide:success',
      'admin.link.decide:failure',
    ]) {
      expect(kinds).toContain(expected);
    }
  });
});

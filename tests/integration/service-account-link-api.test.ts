import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, CookieJar, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, defaultPractitioner, issuePractitionerCertificate, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { finishAuthorization, followRedirects, hpkiCardLogin, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { clientAssertionParams, createEhrClient, type EhrClient } from '../support/ehr-client.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { readAccountRow } from '../../src/practitioners/account-row.ts';
import { storedPayloadId } from '../../src/oidc/payload-store.ts';

/**
 * Issue 17 §7 (seed 004: ユーザが希望したサービスとの紐付 ※サービス提供者が実施): a linked service
 * records or removes its own user ID for a practitioner who applied, with its own client
 * credentials (client_secret_basic, or private_key_jwt with DPoP), for its own links only; audited;
 * the `linked_account` claim follows in the next ID token.
 */
let t: TestPortal;
let pki: HpkiTestPki;
let colleague: IssuedCertificate;
/** A confidential service with a secret (pairwise subs). */
let svcA: { id: string; secret: string; redirectUri: string };
/** A FAPI service: private_key_jwt and DPoP-bound tokens (public subs). */
let svcB: EhrClient;
/** A service not allowed the client credentials grant. */
let svcC: { id: string; secret: string; redirectUri: string };
let doctorId: string;
let doctorJar: CookieJar;

const API = () => `${t.url}/api/services/self`;
const basic = (c: { id: string; secret: string }) => `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}`;
const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});

/** A practitioner's login to a service (authorization code + PKCE, secret client): the ID token's claims. */
async function loginTo(jar: CookieJar, client: { id: string; secret: string; redirectUri: string }, card: IssuedCertificate = pki.practitioners.valid) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirectUri,
    scope: 'openid profile',
    code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const landed = await followRedirects(jar, t.url, `${t.url}/oidc/auth?${params}`, (u) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'));
  let redirectTo = landed.href;
  if (landed.pathname.startsWith('/interaction/')) {
    const uid = landed.pathname.split('/')[2]!;
    const view = (await (await jar.fetch(landed.href)).json()).view;
    if (view.prompt === 'login') {
      const { nonce } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
      const token = await webEidToken(card, { origin: t.portal.rp.origin, nonce });
      ({ redirectTo } = await (await jar.fetch(`${t.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }))).json());
    }
  }
  return (await finishAuthorization(jar, t.url, redirectTo, client, verifier)).claims;
}

/** The service's own token: client credentials with its secret (HTTP Basic). */
async function secretToken(client: { id: string; secret: string }, extra: Record<string, string> = { scope: 'account_link' }) {
  const res = await fetch(`${t.url}/oidc/token`, form({ grant_type: 'client_credentials', ...extra }, { authorization: basic(client) }));
  return { status: res.status, body: (await res.json()) as { access_token?: string; token_type?: string; scope?: string; error?: string } };
}

/** svcB's token: private_key_jwt client assertion, DPoP-bound. */
async function jwtToken() {
  const url = `${t.url}/oidc/token`;
  const res = await fetch(url, form(
    { grant_type: 'client_credentials', scope: 'account_link', resource: API(), ...(await clientAssertionParams(svcB, `${t.url}/oidc`)) },
    { dpop: await svcB.dpopProof('POST', url) },
  ));
  return { status: res.status, body: (await res.json()) as { access_token?: string; token_type?: string; error?: string } };
}

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, auth: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${API()}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: string; requests?: { sub: string; status: string; serviceUserId: string | null }[] } };
}

/** A DPoP call as svcB: the proof names this request and the token. */
async function callB(method: 'GET' | 'POST' | 'DELETE', path: string, token: string, body?: unknown) {
  const proof = await svcB.dpopProof(method, `${t.portal.env.publicUrl}/api/services/self${path}`, token);
  return call(method, path, `DPoP ${token}`, body, { dpop: proof });
}

beforeAll(async () => {
  t = await startTestPortal('service-account-link', { env: { HPKI_AUTO_ENROL: 'true' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  colleague = await issuePractitionerCertificate({
    issuer: pki.authCa,
    kind: 'authentication',
    practitioner: { ...defaultPractitioner, romanisedName: 'Hanako Doryo', kanjiGivenName: '花子', hpkiId: 'Test000077' },
    hcRoles: [{ role: 'Medical Doctor' }],
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
  });
  const allowClientCredentials = async (clientId: string) => {
    const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId } });
    const metadata = row.metadata as { grant_types: string[] };
    await t.portal.prisma.oidcClient.update({ where: { clientId }, data: { metadata: { ...metadata, grant_types: [...metadata.grant_types, 'client_credentials'] } } });
  };
  for (const id of ['svc-a', 'svc-c']) {
    const made = await upsertClient(t.portal.prisma, { clientId: id, name: `Service ${id}`, redirectUris: [`http://localhost:9/${id}/cb`] });
    const client = { id, secret: made.clientSecret, redirectUri: `http://localhost:9/${id}/cb` };
    if (id === 'svc-a') svcA = client;
    else svcC = client;
  }
  await allowClientCredentials('svc-a');
  svcB = await createEhrClient('svc-b', 'http://localhost:9/svc-b/cb');
  await t.portal.prisma.oidcClient.create({
    data: { clientId: svcB.clientId, name: 'Service B', metadata: JSON.parse(JSON.stringify({ ...svcB.metadata, grant_types: ['authorization_code', 'client_credentials'] })) },
  });
  // The practitioner applies for SSO to A and B on the portal (seed 004: SSO申込).
  doctorJar = new CookieJar();
  await hpkiCardLogin(doctorJar, t.url, t.portal.rp.origin, `${t.url}/portal/login`, pki.practitioners.valid);
  for (const id of ['svc-a', 'svc-b']) {
    expect((await doctorJar.fetch(`${t.url}/api/services/${id}/link-request`, jsonPost({}, { origin: t.url }))).status).toBe(200);
  }
  doctorId = (await t.portal.prisma.serviceLink.findFirstOrThrow({ where: { clientId: 'svc-a' } })).practitionerId;
}, 120_000);
afterAll(() => t?.close());

describe('a service with its secret (client_secret_basic)', () => {
  it('gets a token, sees the request by the sub it knows, sets its user ID; linked_account follows; removes it', async () => {
    const before = await loginTo(doctorJar, svcA);
    expect(before.linked_account).toBeUndefined();
    const sub = String(before.sub);
    // Pairwise: the service never sees the practitioner's internal ID.
    expect(sub).not.toBe(doctorId);

    const token = await secretToken(svcA);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', scope: 'account_link' });
    const auth = `Bearer ${token.body.access_token}`;

    const listed = await call('GET', '/link-requests', auth);
    expect(listed.status).toBe(200);
    expect(listed.body.requests).toEqual([expect.objectContaining({ sub, status: 'requested', serviceUserId: null })]);

    const set = await call('POST', `/links/${sub}`, auth, { serviceUserId: 'A-0001' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ sub, status: 'approved', serviceUserId: 'A-0001' });
    expect((await loginTo(doctorJar, svcA)).linked_account).toBe('A-0001');

    // Replacing it is allowed; a malformed ID is refused.
    expect((await call('POST', `/links/${sub}`, auth, { serviceUserId: 'has spaces' })).status).toBe(400);
    expect((await call('POST', `/links/${sub}`, auth, { serviceUserId: 'A-0002' })).status).toBe(200);
    expect((await loginTo(doctorJar, svcA)).linked_account).toBe('A-0002');

    const removed = await call('DELETE', `/links/${sub}`, auth);
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ status: 'requested', serviceUserId: null });
    expect((await loginTo(doctorJar, svcA)).linked_account).toBeUndefined();
    // The request stands: the service (or the administrator) can link again.
    expect((await call('GET', '/link-requests', auth)).body.requests).toEqual([expect.objectContaining({ sub, status: 'requested' })]);

    const audit = await t.portal.prisma.auditEvent.findMany({ where: { event: { in: ['service_link.set', 'service_link.remove'] }, clientId: 'svc-a', result: 'success' }, orderBy: { seq: 'asc' } });
    expect(audit.map((e) => [e.event, e.practitionerId, (e.details as { serviceUserId?: string }).serviceUserId ?? null])).toEqual([
      ['service_link.set', doctorId, 'A-0001'],
      ['service_link.set', doctorId, 'A-0002'],
      ['service_link.remove', doctorId, null],
    ]);
  });

  it('a token for this API comes by default for client credentials; the signing API is not reachable this way', async () => {
    // Without `resource`, the account-link API is the default resource of the grant.
    expect((await secretToken(svcA)).body.scope).toBe('account_link');
    const signing = await secretToken(svcA, { scope: 'signing', resource: `${t.portal.env.publicUrl}/csc/v2` });
    expect(signing.status).toBe(400);
    expect(signing.body.error).toBe('invalid_target');
  });
});

describe('a FAPI service (private_key_jwt, DPoP-bound token)', () => {
  it('sets and removes its own user ID with a DPoP proof; without one it is refused', async () => {
    const token = await jwtToken();
    expect(token.status).toBe(200);
    expect(token.body.token_type).toBe('DPoP');
    const value = token.body.access_token!;
    const listed = await callB('GET', '/link-requests', value);
    expect(listed.status).toBe(200);
    // Its subject type is public: the sub is the account ID.
    expect(listed.body.requests).toEqual([expect.objectContaining({ sub: doctorId, status: 'requested' })]);
    expect((await call('POST', `/links/${doctorId}`, `Bearer ${value}`, { serviceUserId: 'B-77' })).status).toBe(401);
    expect((await call('POST', `/links/${doctorId}`, `DPoP ${value}`, { serviceUserId: 'B-77' })).status).toBe(401);
    expect((await callB('POST', `/links/${doctorId}`, value, { serviceUserId: 'B-77' })).status).toBe(200);
    // What the linked_account claim of svc-b's tokens is read from (and svc-a's sees nothing).
    expect((await readAccountRow(t.portal.sql, doctorId, 'svc-b'))?.linkedAccount).toBe('B-77');
    expect((await readAccountRow(t.portal.sql, doctorId, 'svc-a'))?.linkedAccount).toBeNull();
    expect((await callB('DELETE', `/links/${doctorId}`, value)).status).toBe(200);
    expect((await readAccountRow(t.portal.sql, doctorId, 'svc-b'))?.linkedAccount).toBeNull();
    const audit = await t.portal.prisma.auditEvent.findMany({ where: { clientId: 'svc-b', event: { startsWith: 'service_link.' }, result: 'success' }, orderBy: { seq: 'asc' } });
    expect(audit.map((e) => e.event)).toEqual(['service_link.request', 'service_link.set', 'service_link.remove']);
  });
});

describe('what is refused', () => {
  it('another service cannot touch a link that is not its own', async () => {
    const subA = String((await loginTo(doctorJar, svcA)).sub);
    const b = (await jwtToken()).body.access_token!;
    // svcB names the sub svcA knows, and the account ID (svcA's link is not svcB's).
    expect((await callB('POST', `/links/${subA}`, b, { serviceUserId: 'X' })).body.error).toBe('service_link_not_requested');
    await t.portal.prisma.serviceLink.update({ where: { practitionerId_clientId: { practitionerId: doctorId, clientId: 'svc-b' } }, data: { status: 'rejected' } });
    expect((await callB('POST', `/links/${doctorId}`, b, { serviceUserId: 'X' })).body.error).toBe('service_link_not_requested');
    expect((await readAccountRow(t.portal.sql, doctorId, 'svc-a'))?.linkedAccount).toBeNull();
  });

  it('a practitioner who never asked for the link cannot be linked', async () => {
    const jar = new CookieJar();
    const colleagueSub = String((await loginTo(jar, svcA, colleague)).sub);
    const auth = `Bearer ${(await secretToken(svcA)).body.access_token}`;
    const res = await call('POST', `/links/${colleagueSub}`, auth, { serviceUserId: 'A-9999' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('service_link_not_requested');
    expect((await call('DELETE', `/links/${colleagueSub}`, auth)).status).toBe(404);
    const failure = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'service_link.set', result: 'failure', clientId: 'svc-a' } });
    expect(failure.errorCode).toBe('service_link_not_requested');
  });

  it('refuses a service not allowed the grant, and wrong, expired, revoked or other tokens', async () => {
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
    const notAllowed = await secretToken(svcC);
    expect([notAllowed.status, notAllowed.body.error, notAllowed.body.access_token]).toEqual([400, 'invalid_request', undefined]);
    expect((await secretToken({ id: 'svc-a', secret: 'wrong-secret-wrong-secret' })).body.error).toBe('invalid_client');

    expect((await call('GET', '/link-requests', 'Bearer not-a-token-not-a-token-xyz')).body.error).toBe('service_token_invalid');
    expect((await call('GET', '/link-requests', '')).status).toBe(401);
    // A practitioner's access token (another kind, another resource) is not a service token.
    const verifier = crypto.randomBytes(32).toString('base64url');
    const params = new URLSearchParams({
      response_type: 'code', client_id: svcA.id, redirect_uri: svcA.redirectUri, scope: 'openid',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    const landed = await followRedirects(doctorJar, t.url, `${t.url}/oidc/auth?${params}`, (u) => u.href.startsWith(svcA.redirectUri) || u.pathname.startsWith('/interaction/'));
    const { tokens } = await finishAuthorization(doctorJar, t.url, landed.href, svcA, verifier);
    expect((await call('GET', '/link-requests', `Bearer ${tokens.access_token}`)).body.error).toBe('service_token_invalid');
    // A client-credentials token without the account_link scope.
    const noScope = (await secretToken(svcA, {})).body.access_token!;
    expect((await call('GET', '/link-requests', `Bearer ${noScope}`)).body.error).toBe('service_token_wrong_resource');

    // Expired: the token's end moved into the past.
    const expired = (await secretToken(svcA)).body.access_token!;
    await t.portal.prisma.$executeRaw`
      UPDATE oidc_payload SET payload = jsonb_set(payload, '{exp}', to_jsonb(${Math.floor(Date.now() / 1000) - 60}::bigint)), expires_at = now() - interval '1 minute'
       WHERE model = 'ClientCredentials' AND id = ${storedPayloadId('ClientCredentials', expired)}`;
    expect((await call('GET', '/link-requests', `Bearer ${expired}`)).body.error).toBe('service_token_invalid');

    // Revoked by the service itself (RFC 7009).
    const revoked = (await secretToken(svcA)).body.access_token!;
    expect((await fetch(`${t.url}/oidc/token/revocation`, form({ token: revoked }, { authorization: basic(svcA) }))).status).toBe(200);
    expect((await call('GET', '/link-requests', `Bearer ${revoked}`)).body.error).toBe('service_token_invalid');

    // A service whose grant is withdrawn after the token was issued.
    const live = (await secretToken(svcA)).body.access_token!;
    const row = await t.portal.prisma.oidcClient.findUniqueOrThrow({ where: { clientId: 'svc-a' } });
    const metadata = row.metadata as { grant_types: string[] };
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'svc-a' }, data: { metadata: { ...metadata, grant_types: ['authorization_code', 'refresh_token'] } } });
    const withdrawn = await call('GET', '/link-requests', `Bearer ${live}`);
    await t.portal.prisma.oidcClient.update({ where: { clientId: 'svc-a' }, data: { metadata } });
    expect(withdrawn.body.error).toBe('service_token_invalid');
  });
});

import crypto from 'node:crypto';
import { CookieJar, type FetchLike } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { followRedirects, jsonPost } from '../support/browser-flow.ts';
import { webEidToken } from '../support/card-tokens.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import { clientAssertionParams, type EhrClient } from '../support/ehr-client.ts';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import type { Registrant, RelyingParty } from './portal-target.ts';

/**
 * The HTTP steps of the flows the reliability runs drive, as a relying party and a browser do them.
 * Each step that is not what a working portal answers throws a `FlowError` naming the step, so a
 * run can count errors by kind.
 */
export class FlowError extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${step}: HTTP ${status} ${detail.slice(0, 300)}`);
  }
}

export interface Server {
  /** Where requests go. */
  url: string;
  /** The portal's public origin (the WebAuthn and Web eID origin). */
  origin: string;
  /** Client addresses of their own (the flood run): the service's server and this browser. Default: the global fetch. */
  net?: { service: FetchLike; browser: FetchLike };
}

async function expectJson(step: string, res: Response, status = 200): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (res.status !== status) throw new FlowError(step, res.status, text);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new FlowError(step, res.status, `not JSON: ${text}`);
  }
}

export interface CardLoginProof {
  jar: CookieJar;
  uid: string;
  verifier: string;
  nonce: string;
  token: Record<string, string>;
  redirectTo: string;
}

/** Authorization request (PAR) → login interaction → card challenge → web-eid:1 token verified. */
export async function cardLogin(server: Server, rp: RelyingParty, card: IssuedCertificate): Promise<CardLoginProof> {
  const { jar, uid, verifier } = await beginLoginInteraction(server.url, rp, server.net);
  const { nonce } = (await expectJson('card challenge', await jar.fetch(`${server.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({})))) as { nonce: string };
  const token = await webEidToken(card, { origin: server.origin, nonce });
  const { redirectTo } = (await expectJson('card verify', await jar.fetch(`${server.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token })))) as { redirectTo: string };
  return { jar, uid, verifier, nonce, token, redirectTo };
}

/** After the login: follow the provider, approve consent when asked, and return the issued code. */
export async function consentToCode(server: Server, rp: RelyingParty, jar: CookieJar, redirectTo: string): Promise<{ code: string; consented: boolean }> {
  let landed = await followRedirects(jar, server.url, redirectTo, (u) => u.href.startsWith(rp.redirectUri) || u.pathname.startsWith('/interaction/'));
  let consented = false;
  if (landed.pathname.startsWith('/interaction/')) {
    const uid = landed.pathname.split('/')[2]!;
    const { redirectTo: next } = (await expectJson('consent', await jar.fetch(`${server.url}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' })))) as { redirectTo: string };
    consented = true;
    landed = await followRedirects(jar, server.url, next, (u) => u.href.startsWith(rp.redirectUri));
  }
  const code = landed.searchParams.get('code');
  if (!code) throw new FlowError('authorization code', 0, landed.href);
  return { code, consented };
}

export async function exchangeCode(server: Server, rp: RelyingParty, code: string, verifier: string): Promise<Response> {
  return (server.net?.service ?? fetch)(`${server.url}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${rp.id}:${rp.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier }),
  });
}

/** The whole login a relying party sees: card, consent, code, token exchange with an ID token. */
export async function fullCardLogin(server: Server, rp: RelyingParty, card: IssuedCertificate) {
  const login = await cardLogin(server, rp, card);
  const { code } = await consentToCode(server, rp, login.jar, login.redirectTo);
  const tokens = (await expectJson('token exchange', await exchangeCode(server, rp, code, login.verifier))) as { id_token?: string; access_token?: string };
  if (!tokens.id_token || !tokens.access_token) throw new FlowError('token exchange', 200, 'no id_token/access_token');
  return { ...login, code, tokens: tokens as { id_token: string; access_token: string } };
}

/** The registration QR flow: birth-date password, then the phone's new passkey. */
export async function registerPasskey(server: Server, registrant: Registrant) {
  const authenticator = new SoftwareAuthenticator(server.origin);
  const { options } = (await expectJson('registration password', await fetch(`${server.url}/api/register/${registrant.code}/password`, jsonPost({ password: registrant.password })))) as {
    options: Parameters<SoftwareAuthenticator['register']>[0];
  };
  const response = authenticator.register(options);
  await expectJson('registration passkey', await fetch(`${server.url}/api/register/${registrant.code}/passkey`, jsonPost({ response })));
  return { authenticator, credentialId: response.id };
}

/** Passkey login up to the provider's redirect (the login method's own verification). */
export async function passkeyLogin(server: Server, rp: RelyingParty, authenticator: SoftwareAuthenticator) {
  const { jar, uid } = await beginLoginInteraction(server.url, rp);
  const options = await expectJson('passkey options', await jar.fetch(`${server.url}/interaction/${uid}/passkey/options`, jsonPost({})));
  return expectJson('passkey verify', await jar.fetch(`${server.url}/interaction/${uid}/passkey/verify`, jsonPost(authenticator.authenticate(options as never))));
}

const form = (body: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(body).toString(),
});

/** Remote-signing consent (PAR + RAR, card login, approval) → a DPoP-bound access token. */
export async function signingAccessToken(server: Server, ehr: EhrClient, card: IssuedCertificate): Promise<string> {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const par = await expectJson(
    'signing PAR',
    await fetch(`${server.url}/oidc/request`, form({
      response_type: 'code',
      redirect_uri: ehr.redirectUri,
      scope: 'openid',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      authorization_details: JSON.stringify([{ type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] }]),
      ...(await clientAssertionParams(ehr, `${server.origin}/oidc`)),
    })),
    201,
  );
  const jar = new CookieJar();
  const start = `${server.url}/oidc/auth?client_id=${ehr.clientId}&request_uri=${encodeURIComponent(String(par.request_uri))}`;
  const login = await followRedirects(jar, server.url, start, (u) => u.pathname.startsWith('/interaction/'));
  const uid = login.pathname.split('/')[2]!;
  const { nonce } = (await expectJson('card challenge', await jar.fetch(`${server.url}/interaction/${uid}/hpki-card/challenge`, jsonPost({})))) as { nonce: string };
  const token = await webEidToken(card, { origin: server.origin, nonce });
  const { redirectTo } = (await expectJson('card verify', await jar.fetch(`${server.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token })))) as { redirectTo: string };
  const { code } = await consentToCode(server, { id: ehr.clientId, secret: '', redirectUri: ehr.redirectUri }, jar, redirectTo);
  const tokenUrl = `${server.origin}/oidc/token`;
  const tokens = await expectJson(
    'signing token',
    await fetch(`${server.url}/oidc/token`, form(
      { grant_type: 'authorization_code', code, redirect_uri: ehr.redirectUri, code_verifier: verifier, ...(await clientAssertionParams(ehr, `${server.origin}/oidc`)) },
      { dpop: await ehr.dpopProof('POST', tokenUrl) },
    )),
  );
  return String(tokens.access_token);
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

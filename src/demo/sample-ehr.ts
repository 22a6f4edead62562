import type http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { exportJWK, generateKeyPair } from 'jose';
import { sendNotFound, sendPage } from './sample-page.ts';

/**
 * The EHR server side of remote signing (seed 003): it obtains the practitioner's consent once
 * (PAR with authorization_details, private_key_jwt, DPoP), keeps the access token centrally so the
 * physician can move between terminals, and signs e-prescriptions through the CSC API. It meets the
 * FAPI 2.0 Security Profile its registration gets: PAR (DPoP-bound) with redirect_uri, PKCE, an ES256 client
 * assertion whose only audience is the issuer (openid-client's default, 60 s), DPoP-bound tokens.
 */
export interface SampleEhr {
  jwks: { keys: object[] };
  /** Answers a request for a path under /ehr (the sample relying party's server hands them over). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
  /** Signs `count` sample e-prescriptions with the stored authorisation; each signature verified. */
  sign(count: number): Promise<{ signed: number; verified: number; certificateSubject: string; error?: string }>;
}

export interface SampleEhrOptions {
  issuer: string;
  /** Registered with jwks_uri <baseUrl>/ehr/jwks and redirect URI <baseUrl>/ehr/callback. */
  clientId: string;
  /** The origin it is served from. */
  baseUrl: string;
}

export async function createSampleEhr({ issuer, clientId, baseUrl }: SampleEhrOptions): Promise<SampleEhr> {
  const insecure = issuer.startsWith('http:');
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'demo-ehr-1', use: 'sig', alg: 'ES256' };
  const config = await oidc.discovery(new URL(issuer), clientId, { token_endpoint_auth_signing_alg: 'ES256' }, oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }), {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
  });
  const dpopKeys = await oidc.randomDPoPKeyPair('ES256');
  const dpop = oidc.getDPoPHandle(config, dpopKeys);
  const cscBase = `${new URL(issuer).origin}/csc/v2`;
  const pending = new Map<string, { verifier: string; state: string; nonce: string }>();
  // "Central token management" (seed 003): one authorisation for the EHR, whichever terminal asks.
  let authorisation: { accessToken: string; expiresAt: number; credentialId: string } | undefined;

  const csc = async (method: string, body: unknown) => {
    const res = await oidc.fetchProtectedResource(config, authorisation!.accessToken, new URL(`${cscBase}/${method}`), 'POST', JSON.stringify(body), new Headers({ 'content-type': 'application/json' }), { DPoP: dpop });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(String(json.error ?? res.status));
    return json;
  };

  async function sign(count: number) {
    if (!authorisation || authorisation.expiresAt < Date.now()) return { signed: 0, verified: 0, certificateSubject: '', error: 'no authorisation' };
    let signed = 0;
    let verified = 0;
    let subject = '';
    try {
      const info = (await csc('credentials/info', { credentialID: authorisation.credentialId, certificates: 'chain', certInfo: true })) as {
        cert: { certificates: string[]; subjectDN: string };
      };
      subject = info.cert.subjectDN;
      const certificate = new crypto.X509Certificate(Buffer.from(info.cert.certificates[0]!, 'base64'));
      for (let i = 1; i <= count; i++) {
        const prescription = JSON.stringify({ type: 'e-prescription', number: i, drug: 'アムロジピン錠5mg', days: 28, at: new Date().toISOString() });
        const hash = crypto.createHash('sha256').update(prescription).digest();
        const { signatures } = (await csc('signatures/signHash', {
          credentialID: authorisation.credentialId,
          hashes: [hash.toString('base64')],
          hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
          signAlgo: certificate.publicKey.asymmetricKeyType === 'ec' ? '1.2.840.10045.4.3.2' : '1.2.840.113549.1.1.1',
          documentType: 'e-prescription',
        })) as { signatures: string[] };
        signed++;
        if (crypto.verify('sha256', Buffer.from(prescription), certificate.publicKey, Buffer.from(signatures[0]!, 'base64'))) verified++;
      }
    } catch (error) {
      // A refused token comes back as a WWW-Authenticate challenge; the CSC error code otherwise.
      const challenge = (error as { cause?: { parameters?: { error?: string } }[] }).cause;
      const code = Array.isArray(challenge) ? challenge[0]?.parameters?.error : undefined;
      return { signed, verified, certificateSubject: subject, error: code ?? (error as Error).message };
    }
    return { signed, verified, certificateSubject: subject };
  }

  return {
    jwks: { keys: [jwk] },
    sign,
    async handle(req, res, url) {
      if (url.pathname === '/ehr/jwks') {
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
        res.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      if (url.pathname === '/ehr/authorize') {
        const state = oidc.randomState();
        const check = { verifier: oidc.randomPKCECodeVerifier(), state, nonce: oidc.randomNonce() };
        pending.set(state, check);
        const target = await oidc.buildAuthorizationUrlWithPAR(config, {
          redirect_uri: `${baseUrl}/ehr/callback`,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(check.verifier),
          code_challenge_method: 'S256',
          state,
          nonce: check.nonce,
          authorization_details: JSON.stringify([
            { type: 'credential', signatureQualifier: 'hpki-second-certificate', documentTypes: ['e-prescription'] },
          ]),
        }, { DPoP: dpop });
        res.writeHead(302, { location: target.href });
        res.end();
        return;
      }
      if (url.pathname === '/ehr/callback') {
        const check = pending.get(url.searchParams.get('state') ?? '');
        if (!check) throw new Error('no signing consent in progress');
        pending.delete(check.state);
        const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: check.verifier, expectedState: check.state, expectedNonce: check.nonce }, undefined, { DPoP: dpop });
        const details = (tokens.authorization_details ?? []) as { credentialID?: string }[];
        authorisation = { accessToken: tokens.access_token, expiresAt: Date.now() + (tokens.expires_in ?? 0) * 1000, credentialId: String(details[0]?.credentialID) };
        res.writeHead(302, { location: '/ehr' });
        res.end();
        return;
      }
      if (url.pathname === '/ehr/sign' && req.method === 'POST') {
        const count = Math.min(1000, Math.max(1, Number(url.searchParams.get('count') ?? 1)));
        const result = await sign(count);
        res.writeHead(result.error && result.signed === 0 ? 409 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(result));
        return;
      }
      if (url.pathname === '/ehr') {
        const active = authorisation && authorisation.expiresAt > Date.now();
        sendPage(
          res,
          'デモ電子カルテ（リモート署名）',
          active
            ? `<p data-testid="ehr-status">authorised</p><p>認可の期限: <span data-testid="ehr-until">${new Date(authorisation!.expiresAt).toISOString()}</span></p>
<form method="post" action="/ehr/sign?count=1"><button class="button" data-testid="ehr-sign">処方箋に署名</button></form>`
            : `<p data-testid="ehr-status">not-authorised</p><a class="button" href="/ehr/authorize" data-testid="ehr-authorize">リモート署名を認可する（1日1回）</a>`,
        );
        return;
      }
      sendNotFound(res);
    },
  };
}

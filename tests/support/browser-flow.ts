import crypto from 'node:crypto';
import { CookieJar } from './test-portal.ts';
import { webEidToken } from './card-tokens.ts';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';

/** What a browser does around a login, for integration tests: follow redirects, log in with a card. */
export const jsonPost = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export async function followRedirects(jar: CookieJar, base: string, url: string, stop: (u: URL) => boolean) {
  let current = new URL(url, base);
  for (let i = 0; i < 10; i++) {
    if (stop(current)) return current;
    const res = await jar.fetch(current.href);
    const location = res.headers.get('location');
    if (!location) return current;
    current = new URL(location, current);
  }
  throw new Error('too many redirects');
}

/** Follows `start` to the login page and logs in with an HPKI card (Node-signed web-eid:1 token). */
export async function hpkiCardLogin(jar: CookieJar, base: string, origin: string, start: string, card: IssuedCertificate) {
  const interaction = await followRedirects(jar, base, start, (u) => u.pathname.startsWith('/interaction/'));
  const uid = interaction.pathname.split('/')[2]!;
  const view = (await (await jar.fetch(interaction.href)).json()).view;
  const { nonce } = await (await jar.fetch(`${base}/interaction/${uid}/hpki-card/challenge`, jsonPost({}))).json();
  const token = await webEidToken(card, { origin, nonce });
  const verify = await jar.fetch(`${base}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token }));
  const { redirectTo } = await verify.json();
  const landed = await followRedirects(jar, base, redirectTo, (u) => !u.pathname.startsWith('/oidc') && !u.pathname.startsWith('/portal/'));
  return { view, landed, uid };
}

/** Presses "log out of everything" on the provider's logout page this browser was shown (`page`: its HTML). */
export async function confirmProviderLogout(jar: CookieJar, base: string, page: string) {
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
  return jar.fetch(`${base}/oidc/session/end/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
}

/** What the My Number Card returns for a challenge: its certificate and RSA PKCS#1 v1.5 over SHA-256(nonce). */
export async function myNumberCardProof(card: IssuedCertificate, nonce: string, signer: IssuedCertificate = card) {
  const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', signer.keys.privateKey);
  const key = crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  return {
    nonce,
    certificate: Buffer.from(card.der).toString('base64'),
    signature: crypto.sign('sha256', Buffer.from(nonce), key).toString('base64'),
  };
}

/**
 * After a login method answered `redirectTo`: follow the provider, approve consent if asked, and
 * exchange the code at the token endpoint as the client would. Returns the token response.
 */
export async function finishAuthorization(
  jar: CookieJar,
  base: string,
  redirectTo: string,
  client: { id: string; secret: string; redirectUri: string },
  verifier: string,
) {
  let landed = await followRedirects(jar, base, redirectTo, (u) => u.href.startsWith(client.redirectUri) || u.pathname.startsWith('/interaction/'));
  if (landed.pathname.startsWith('/interaction/')) {
    const uid = landed.pathname.split('/')[2]!;
    const { redirectTo: next } = await (await jar.fetch(`${base}/interaction/${uid}/consent`, jsonPost({ decision: 'approve' }))).json();
    landed = await followRedirects(jar, base, next, (u) => u.href.startsWith(client.redirectUri));
  }
  const code = landed.searchParams.get('code');
  if (!code) throw new Error(`no code: ${landed.href}`);
  const res = await fetch(`${base}/oidc/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: verifier }),
  });
  const tokens = (await res.json()) as { id_token: string; access_token: string };
  const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  return { tokens, claims };
}

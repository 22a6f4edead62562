import crypto from 'node:crypto';
import { CookieJar, type FetchLike } from './test-portal.ts';

/**
 * Starts an authorization request as a relying party would (PAR with PKCE) and follows it to the
 * login interaction, returning the browser's cookies and the interaction uid.
 */
export async function beginLoginInteraction(
  portalUrl: string,
  client: { id: string; secret: string; redirectUri: string },
  /** Where the service's server and the browser send from (default: this process, the global fetch). */
  net: { service?: FetchLike; browser?: FetchLike } = {},
) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const par = await (net.service ?? fetch)(`${portalUrl}/oidc/request`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: client.redirectUri,
      scope: 'openid profile hcrole',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
      nonce: 'n',
    }),
  });
  if (par.status !== 201) throw new Error(`PAR failed: ${par.status} ${await par.text()}`);
  const { request_uri } = (await par.json()) as { request_uri: string };
  const jar = new CookieJar(net.browser);
  const auth = await jar.fetch(`${portalUrl}/oidc/auth?client_id=${client.id}&request_uri=${encodeURIComponent(request_uri)}`);
  const location = auth.headers.get('location') ?? '';
  const uid = /\/interaction\/([^/?]+)/.exec(location)?.[1];
  if (!uid) throw new Error(`no interaction redirect: ${auth.status} ${location}`);
  return { jar, uid, verifier };
}

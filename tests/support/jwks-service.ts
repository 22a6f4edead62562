import crypto from 'node:crypto';
import { SignJWT } from 'jose';
import type { TestPortal } from './test-portal.ts';

/**
 * A `private_key_jwt` service whose public keys are at `jwksUri` (ES256, kid `k1`), and its pushed
 * authorization request authenticated with a client assertion — which makes the provider fetch the
 * service's JWKS through the outbound fetch.
 */
export async function createJwksUriService(t: TestPortal, clientId: string, jwksUri: string) {
  await t.portal.prisma.oidcClient.create({
    data: {
      clientId,
      name: clientId,
      metadata: {
        client_id: clientId,
        client_name: clientId,
        redirect_uris: [`http://localhost:9/${clientId}/cb`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        id_token_signed_response_alg: 'ES256',
        jwks_uri: jwksUri,
        scope: 'openid',
      },
    },
  });
}

export async function pushAuthorizationRequestWithAssertion(t: TestPortal, clientId: string, privateKey: CryptoKey | crypto.KeyObject) {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(`${t.url}/oidc`)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(privateKey);
  const res = await fetch(`${t.url}/oidc/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      response_type: 'code',
      redirect_uri: `http://localhost:9/${clientId}/cb`,
      scope: 'openid',
      code_challenge: crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'),
      code_challenge_method: 'S256',
    }),
  });
  return { status: res.status, body: (await res.json()) as { error?: string; request_uri?: string } };
}

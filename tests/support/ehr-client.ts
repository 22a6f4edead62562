import crypto from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

/**
 * A confidential EHR server as the remote-signing flow expects it: private_key_jwt client
 * authentication, DPoP-bound tokens, PAR with `authorization_details`. Built on jose in tests.
 */
export interface EhrClient {
  clientId: string;
  redirectUri: string;
  metadata: Record<string, unknown>;
  clientAssertion(audience: string): Promise<string>;
  dpopProof(method: string, url: string, accessToken?: string, key?: 'own' | 'other'): Promise<string>;
}

export async function createEhrClient(clientId: string, redirectUri: string): Promise<EhrClient> {
  const clientKeys = await generateKeyPair('ES256', { extractable: true });
  const dpopKeys = await generateKeyPair('ES256', { extractable: true });
  const otherKeys = await generateKeyPair('ES256', { extractable: true });
  const clientJwk = { ...(await exportJWK(clientKeys.publicKey)), kid: 'ehr-1', use: 'sig', alg: 'ES256' };
  const dpopJwk = await exportJWK(dpopKeys.publicKey);
  const otherJwk = await exportJWK(otherKeys.publicKey);
  return {
    clientId,
    redirectUri,
    metadata: {
      client_id: clientId,
      client_name: `EHR ${clientId}`,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientJwk] },
      dpop_bound_access_tokens: true,
      authorization_details_types: ['credential'],
      require_pushed_authorization_requests: true,
      subject_type: 'public',
      scope: 'openid',
    },
    clientAssertion: (audience) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'ehr-1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience)
        .setJti(crypto.randomUUID())
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(clientKeys.privateKey),
    dpopProof: (method, url, accessToken, key = 'own') =>
      new SignJWT({
        htm: method,
        htu: url,
        jti: crypto.randomUUID(),
        ...(accessToken ? { ath: crypto.createHash('sha256').update(accessToken).digest('base64url') } : {}),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: (key === 'own' ? dpopJwk : otherJwk) as JWK })
        .setIssuedAt()
        .sign(key === 'own' ? dpopKeys.privateKey : otherKeys.privateKey),
  };
}

export const clientAssertionParams = async (client: EhrClient, audience: string) => ({
  client_id: client.clientId,
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: await client.clientAssertion(audience),
});

import { z } from 'zod';

/**
 * The OAuth side of a linked service's policy (issue 13, SPEC §12 "OAuth"), kept in its client
 * metadata next to the service policy and checked by oidc-provider whenever the client is loaded:
 * the FAPI 2.0 Security Profile, and the resource servers that may introspect its access tokens.
 */
export const OAUTH_POLICY_PROPERTIES = ['fapi_profile', 'introspection_resource_servers'] as const;

/** The value of `fapi_profile` (oidc-provider's own name of the profile). */
export const FAPI_2_0 = '2.0';
/** What FAPI 2.0 lets a service sign with (EdDSA too, which this provider does not offer). */
export const FAPI_SIGNING_ALGS: readonly string[] = ['ES256', 'PS256'];
/** The longest client assertion a FAPI service may send: exp − iat, and exp − now, in seconds. */
export const FAPI_CLIENT_ASSERTION_MAX_SECONDS = 300;

/** ID token algorithms a service may choose; new services get the first. Stored services keep theirs. */
export const ID_TOKEN_ALGS = ['ES256', 'PS256', 'RS256'] as const;
export type IdTokenAlg = (typeof ID_TOKEN_ALGS)[number];
export const DEFAULT_ID_TOKEN_ALG: IdTokenAlg = 'ES256';
/** What oidc-provider signs with for a stored client that names no algorithm (clients made before ES256 became the default). */
export const LEGACY_ID_TOKEN_ALG: IdTokenAlg = 'RS256';

export const clientIdSchema = z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3–64 letters, digits, ".", "_" or "-"');

const policySchema = z.object({
  fapi_profile: z.literal(FAPI_2_0),
  /** Client IDs of resource servers that may introspect this service's access tokens. */
  introspection_resource_servers: z.array(clientIdSchema).max(20),
});

type Metadata = Record<string, unknown> | undefined;

/** A remote-signing (EHR) service: it may ask for `credential` authorization details (SPEC §7). */
export function isSigningService(metadata: Metadata): boolean {
  const types = metadata?.authorization_details_types;
  return Array.isArray(types) && types.includes('credential');
}

/** The FAPI 2.0 Security Profile applies when the administrator chose it, and always to a signing service. */
export function isFapiService(metadata: Metadata): boolean {
  return metadata?.fapi_profile === FAPI_2_0 || isSigningService(metadata);
}

/** What this service's ID tokens are signed with, as the provider applies it (see applyOAuthServicePolicy). */
export function effectiveIdTokenAlg(metadata: Metadata): IdTokenAlg {
  const stored = ID_TOKEN_ALGS.find((a) => a === metadata?.id_token_signed_response_alg) ?? LEGACY_ID_TOKEN_ALG;
  return isFapiService(metadata) && !FAPI_SIGNING_ALGS.includes(stored) ? DEFAULT_ID_TOKEN_ALG : stored;
}

/** The resource servers (client IDs) allowed to introspect this service's access tokens. */
export function introspectionResourceServers(metadata: Metadata): string[] {
  const parsed = policySchema.shape.introspection_resource_servers.safeParse(metadata?.introspection_resource_servers);
  return parsed.success ? parsed.data : [];
}

/**
 * oidc-provider's `extraClientMetadata.validator` for these properties: a problem sentence, or
 * undefined. For a FAPI service it also completes the metadata the profile implies — pushed
 * authorization requests required, DPoP-bound tokens, and ES256 ID tokens where only the provider
 * default (RS256, which FAPI 2.0 does not allow) would apply.
 */
export function applyOAuthServicePolicy(key: string, value: unknown, metadata: Record<string, unknown>): string | undefined {
  if (key === 'introspection_resource_servers') {
    if (value === undefined) return undefined;
    const parsed = policySchema.shape.introspection_resource_servers.safeParse(value);
    if (!parsed.success) return `introspection_resource_servers: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
    if (parsed.data.includes(String(metadata.client_id))) return 'introspection_resource_servers: a service always introspects its own tokens; name other services only';
    return undefined;
  }
  if (key !== 'fapi_profile') return undefined;
  if (value !== undefined && !policySchema.shape.fapi_profile.safeParse(value).success) return `fapi_profile: only "${FAPI_2_0}" (the FAPI 2.0 Security Profile) is supported`;
  if (!isFapiService(metadata)) return undefined;
  if (metadata.token_endpoint_auth_method !== 'private_key_jwt') {
    return 'the FAPI 2.0 Security Profile needs a confidential client with token_endpoint_auth_method private_key_jwt';
  }
  const assertionAlg = metadata.token_endpoint_auth_signing_alg;
  if (assertionAlg !== undefined && !FAPI_SIGNING_ALGS.includes(String(assertionAlg))) {
    return `the FAPI 2.0 Security Profile needs token_endpoint_auth_signing_alg ${FAPI_SIGNING_ALGS.join(' or ')}`;
  }
  if (!FAPI_SIGNING_ALGS.includes(String(metadata.id_token_signed_response_alg))) metadata.id_token_signed_response_alg = DEFAULT_ID_TOKEN_ALG;
  metadata.require_pushed_authorization_requests = true;
  metadata.dpop_bound_access_tokens = true;
  return undefined;
}

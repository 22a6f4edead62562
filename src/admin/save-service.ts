import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { PORTAL_CLIENT_ID } from '../portal-session/portal-client.ts';
import { AdminError } from './admin-error.ts';
import { KEPT_METADATA, serviceFormSchema, serviceMetadata, type ServiceForm } from './service-form.ts';
import { FAPI_2_0, FAPI_SIGNING_ALGS, isSigningService } from '../clients/oauth-service-policy.ts';

/** oidc-provider's own check of client metadata (`provider.Client.validate`), injected. */
export type ValidateClientMetadata = (metadata: Record<string, unknown>) => Promise<void>;

export function newClientSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function parseServiceForm(input: unknown): ServiceForm {
  const parsed = serviceFormSchema.safeParse(input);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ');
    throw new AdminError('admin_input_invalid', 400, { detail }, { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  return parsed.data;
}

/** The provider refuses the metadata: its error code and description go back to the administrator. */
export async function validateServiceMetadata(validate: ValidateClientMetadata, metadata: Record<string, unknown>): Promise<void> {
  try {
    await validate(metadata);
  } catch (error) {
    const e = error as { error?: string; error_description?: string; message?: string };
    const providerError = e.error ?? 'invalid_client_metadata';
    const description = e.error_description ?? e.message ?? String(error);
    throw new AdminError('admin_client_metadata_invalid', 400, { detail: `${providerError}: ${description}` }, { providerError, description });
  }
}

/**
 * The OAuth choices that have codes of their own (issue 13): the FAPI 2.0 profile needs
 * private_key_jwt and ES256/PS256 ID tokens and cannot be turned off for a remote-signing service;
 * introspecting resource servers must be other registered services.
 */
export async function checkOAuthSettings(prisma: Db, form: ServiceForm, signing: boolean): Promise<void> {
  if (signing && !form.fapi) throw new PortalError('admin_fapi_signing_service', 400);
  if (form.fapi && form.authMethod !== 'private_key_jwt') throw new PortalError('admin_fapi_private_key_jwt', 400);
  if (form.fapi && !FAPI_SIGNING_ALGS.includes(form.idTokenAlg)) throw new PortalError('admin_fapi_id_token_alg', 400, form.idTokenAlg, { alg: form.idTokenAlg });
  const servers = form.introspectionResourceServers;
  const known = servers.length ? await prisma.oidcClient.findMany({ where: { clientId: { in: servers } }, select: { clientId: true } }) : [];
  for (const server of servers) {
    if (server === form.clientId || server === PORTAL_CLIENT_ID || !known.some((k) => k.clientId === server)) {
      throw new PortalError('admin_resource_server_invalid', 400, server, { clientId: server });
    }
  }
}

export function assertManageable(clientId: string) {
  // The portal's own client is made at start-up from the key-encryption key; editing it would lock everyone out.
  if (clientId === PORTAL_CLIENT_ID) throw new PortalError('admin_client_protected', 403);
}

/**
 * Creates a linked service. A secret method gets a new random secret, returned here once: only the
 * provider's metadata keeps it, and no page shows it again.
 */
export async function createService(prisma: Db, validate: ValidateClientMetadata, input: unknown) {
  const form = parseServiceForm(input);
  assertManageable(form.clientId);
  if (await prisma.oidcClient.findUnique({ where: { clientId: form.clientId } })) throw new PortalError('admin_client_exists', 409);
  await checkOAuthSettings(prisma, form, false);
  const clientSecret = form.authMethod === 'private_key_jwt' ? undefined : newClientSecret();
  const metadata = serviceMetadata(form, clientSecret);
  await validateServiceMetadata(validate, metadata);
  await prisma.oidcClient.create({ data: { clientId: form.clientId, name: form.name, metadata: JSON.parse(JSON.stringify(metadata)) } });
  return { clientId: form.clientId, clientSecret };
}

/**
 * Replaces a service's settings. The secret stays as it was, unless the service moves from
 * private_key_jwt to a secret method (a new one, shown once) or the other way (the secret is dropped).
 * What the form does not show (remote signing, DPoP, PAR, assertion algorithm) is kept.
 */
export async function updateService(prisma: Db, validate: ValidateClientMetadata, clientId: string, input: unknown) {
  assertManageable(clientId);
  const form = parseServiceForm({ ...(input as object), clientId });
  const existing = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!existing) throw new PortalError('admin_client_not_found', 404);
  const old = existing.metadata as Record<string, unknown>;
  await checkOAuthSettings(prisma, form, isSigningService(old));
  const oldSecret = typeof old.client_secret === 'string' ? old.client_secret : undefined;
  const needsSecret = form.authMethod !== 'private_key_jwt';
  const newSecret = needsSecret && !oldSecret ? newClientSecret() : undefined;
  // PAR and DPoP that came with a FAPI choice in this console go when it is unticked.
  const fromFapi = new Set<string>(old.fapi_profile === FAPI_2_0 ? ['dpop_bound_access_tokens', 'require_pushed_authorization_requests'] : []);
  const kept = Object.fromEntries(
    KEPT_METADATA.filter((k) => old[k] !== undefined && !fromFapi.has(k) && (k !== 'token_endpoint_auth_signing_alg' || !needsSecret)).map((k) => [k, old[k]]),
  );
  const metadata = { ...kept, ...serviceMetadata(form, needsSecret ? (oldSecret ?? newSecret) : undefined) };
  await validateServiceMetadata(validate, metadata);
  await prisma.oidcClient.update({ where: { clientId }, data: { name: form.name, metadata: JSON.parse(JSON.stringify(metadata)) } });
  return { clientId, clientSecret: newSecret };
}

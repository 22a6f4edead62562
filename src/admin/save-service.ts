import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { PORTAL_CLIENT_ID } from '../portal-session/portal-client.ts';
import { AdminError } from './admin-error.ts';
import { serviceFormSchema, serviceMetadata, type ServiceForm } from './service-form.ts';

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
  const clientSecret = form.authMethod === 'private_key_jwt' ? undefined : newClientSecret();
  const metadata = serviceMetadata(form, clientSecret);
  await validateServiceMetadata(validate, metadata);
  await prisma.oidcClient.create({ data: { clientId: form.clientId, name: form.name, metadata: JSON.parse(JSON.stringify(metadata)) } });
  return { clientId: form.clientId, clientSecret };
}

/**
 * Replaces a service's settings. The secret stays as it was, unless the service moves from
 * private_key_jwt to a secret method (a new one, shown once) or the other way (the secret is dropped).
 */
export async function updateService(prisma: Db, validate: ValidateClientMetadata, clientId: string, input: unknown) {
  assertManageable(clientId);
  const form = parseServiceForm({ ...(input as object), clientId });
  const existing = await prisma.oidcClient.findUnique({ where: { clientId } });
  if (!existing) throw new PortalError('admin_client_not_found', 404);
  const old = existing.metadata as Record<string, unknown>;
  const oldSecret = typeof old.client_secret === 'string' ? old.client_secret : undefined;
  const needsSecret = form.authMethod !== 'private_key_jwt';
  const newSecret = needsSecret && !oldSecret ? newClientSecret() : undefined;
  const metadata = serviceMetadata(form, needsSecret ? (oldSecret ?? newSecret) : undefined);
  await validateServiceMetadata(validate, metadata);
  await prisma.oidcClient.update({ where: { clientId }, data: { name: form.name, metadata: JSON.parse(JSON.stringify(metadata)) } });
  return { clientId, clientSecret: newSecret };
}

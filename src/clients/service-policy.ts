import { z } from 'zod';
import { ACR, acrSatisfies } from '../auth/assurance.ts';
import { LOGIN_METHOD_IDS, loginMethod, offeredAs, type LoginMethodId } from '../auth/methods/registry.ts';
import type { StoredHcRole } from '../practitioners/practitioner.ts';
import { sameHcRole } from '../pki/hcrole/schemes.ts';
import { OID } from '../pki/oids.ts';

/**
 * What an administrator decides per linked service (SPEC §4, issue 6): which qualifications may log
 * in, the minimum authentication level, which login methods are offered, which claims it receives.
 * Stored in the client's metadata (oidc-provider `extraClientMetadata`), validated here.
 */
export const SERVICE_POLICY_PROPERTIES = ['allowed_hc_roles', 'min_acr', 'login_methods', 'released_claims'] as const;

export const RELEASABLE_CLAIMS = ['profile', 'hcRole', 'hpki', 'birthdate', 'linked_account'] as const;

const policySchema = z.object({
  /** hcRole strings as in certificates ("Medical Doctor"); empty or absent: any practitioner. */
  allowed_hc_roles: z.array(z.string().min(1).max(200)).max(50).optional(),
  min_acr: z.enum([ACR.passkey, ACR.jpki, ACR.hpki]).optional(),
  login_methods: z.array(z.enum(LOGIN_METHOD_IDS)).min(1).optional(),
  released_claims: z.array(z.enum(RELEASABLE_CLAIMS)).optional(),
});
export type ServicePolicy = z.infer<typeof policySchema>;

export function readServicePolicy(metadata: Record<string, unknown> | undefined): ServicePolicy {
  const picked = Object.fromEntries(SERVICE_POLICY_PROPERTIES.filter((k) => metadata?.[k] !== undefined).map((k) => [k, metadata![k]]));
  const parsed = policySchema.safeParse(picked);
  // Stored metadata was validated when saved; anything unreadable fails closed to the strictest level.
  return parsed.success ? parsed.data : { min_acr: ACR.hpki, allowed_hc_roles: ['\u0000none'] };
}

/** oidc-provider's validator for the extra client metadata: a clear message for a bad value. */
export function validateServicePolicyProperty(key: string, value: unknown): string | undefined {
  const field = policySchema.shape[key as keyof typeof policySchema.shape];
  if (!field || value === undefined) return undefined;
  const parsed = field.safeParse(value);
  return parsed.success ? undefined : `${key}: ${parsed.error.issues.map((i) => i.message).join('; ')}`;
}

/** Whether the service offers a method: listed itself, or the entry it is offered as (registry). */
export function serviceAllowsMethod(policy: ServicePolicy, method: string): boolean {
  if (!policy.login_methods) return true;
  const listed: string[] = policy.login_methods;
  return listed.includes(method) || listed.includes(offeredAs(method));
}

/** The methods a service's login page offers: its list, and only those reaching its minimum acr. */
export function methodsForService(methods: LoginMethodId[], policy: ServicePolicy): LoginMethodId[] {
  return methods.filter((m) => serviceAllowsMethod(policy, m) && (!policy.min_acr || acrSatisfies(loginMethod(m)?.assurance.acr, policy.min_acr)));
}

export type PolicyRefusal =
  | { code: 'service_method_not_allowed' }
  | { code: 'service_acr_too_low'; required: string }
  | { code: 'service_hcrole_required'; required: string[] };

/**
 * The coding scheme of the role strings an administrator lists (`allowed_hc_roles`): the HPKI one.
 * A login's roles are compared as (scheme, value), so "Medical Doctor" under another scheme never
 * satisfies a service that allows Medical Doctors.
 */
export const SERVICE_POLICY_HCROLE_SCHEME = OID.jhpkiCodingScheme;

/** Whether a completed authentication may log in to this service; the refusal names what is missing. */
export function checkServicePolicy(policy: ServicePolicy, login: { method: string; acr: string; hcRoles: StoredHcRole[] }): PolicyRefusal | null {
  if (!serviceAllowsMethod(policy, login.method)) return { code: 'service_method_not_allowed' };
  if (policy.min_acr && !acrSatisfies(login.acr, policy.min_acr)) return { code: 'service_acr_too_low', required: policy.min_acr };
  if (policy.allowed_hc_roles?.length && !login.hcRoles.some((r) => policy.allowed_hc_roles!.some((allowed) => sameHcRole(r, { role: allowed, codingScheme: SERVICE_POLICY_HCROLE_SCHEME })))) {
    return { code: 'service_hcrole_required', required: policy.allowed_hc_roles };
  }
  return null;
}

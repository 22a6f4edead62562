import type { LoginMethodId } from './assurance.ts';
import type { StoredHcRole } from '../practitioners/practitioner.ts';

/** What every login method is told about the login it serves. */
export interface LoginContext {
  interactionUid: string;
  /** The portal origin the browser must have used (checked in signatures and WebAuthn). */
  origin: string;
  ip?: string;
}

/** The outcome of a successful method: who, how, and with what assurance. */
export interface AuthResult {
  practitionerId: string;
  method: LoginMethodId;
  amr: string[];
  acr: string;
  /** Qualifications proven by this login's certificate; absent for methods that prove none. */
  hcRoles?: StoredHcRole[];
  /** Set by certificate methods: the certificate that was used (SPEC §4 `hpki` claim). */
  certificate?: { issuer: string; serialNumber: string; notBefore: string; notAfter: string };
}

/** Keycloak-style: every method has the same two steps, so adding one never touches the others. */
export interface LoginMethod<BeginOutput = unknown> {
  id: LoginMethodId;
  begin(ctx: LoginContext): Promise<BeginOutput>;
  finish(ctx: LoginContext, response: unknown): Promise<AuthResult>;
}

import type { IncomingMessage } from 'node:http';
import type { Db } from '../db/current.ts';
import type { RateLimitName } from '../config/rate-limits.ts';
import type { StoredHcRole } from '../practitioners/practitioner.ts';
import type { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import type { AcrValue } from './assurance.ts';
import type { RelyingParty } from './methods/passkey/relying-party.ts';
import type { CertificateLoginDependencies } from './certificate-login.ts';

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
  /** The id of the method that authenticated (a registry entry). */
  method: string;
  amr: string[];
  acr: string;
  /** Qualifications proven by this login's certificate; absent for methods that prove none. */
  hcRoles?: StoredHcRole[];
  /** Set by certificate methods: the certificate that was used (SPEC §4 `hpki` claim). */
  certificate?: { issuer: string; serialNumber: string; notBefore: string; notAfter: string };
}

/** Keycloak-style: every method has the same two steps, so adding one never touches the others. */
export interface LoginMethod<BeginOutput = unknown> {
  id: string;
  begin(ctx: LoginContext): Promise<BeginOutput>;
  finish(ctx: LoginContext, response: unknown): Promise<AuthResult>;
}

/** What a login proves, as `amr` (RFC 8176) and `acr` (assurance.ts). */
export interface Assurance {
  amr: readonly string[];
  acr: AcrValue;
}

/** What the person holds to log in: the portal's rules about "a recent card login" read this. */
export type Credential = 'passkey' | 'hpki-certificate' | 'my-number-card';

/** Where a method can be used: a shared terminal (PC with a card reader), or the person's phone. */
export type Device = 'terminal' | 'phone';

/** Facts about this installation that decide which methods it can offer at all. */
export interface InstallationFacts {
  /** HPKI trust anchors are loaded. */
  hpkiTrust: boolean;
  /** J-LIS (My Number Card) trust anchors are loaded. */
  jpkiTrust: boolean;
  /** Where the TLS client-certificate login is served (HPKI_CERT_ORIGIN), if anywhere. */
  hpkiCertOrigin?: string;
}

/** Everything a method's steps may use, built once per request by the HTTP layer. */
export interface MethodDependencies {
  prisma: Db;
  rp: RelyingParty;
  trust: TrustStoreCache;
  certificates: CertificateLoginDependencies;
  publicUrl: string;
  trustedProxies: string[];
  clientCertProxyHeader: string;
  /** The page-made My Number Card proof without an origin is accepted (demo; JPKI_UNBOUND_PROOF). */
  jpkiUnboundProof: boolean;
  /** A QR code image of a URL, as a data: URL. */
  qrDataUrl(url: string): Promise<string>;
  audit(entry: { event: string; result: 'success' | 'failure'; clientId?: string; ip?: string; details?: Record<string, unknown> }): Promise<void>;
}

/** What one step is given. */
export interface LoginStepInput {
  ctx: LoginContext;
  /** The JSON body (POST steps), read on first call. */
  body(): Promise<unknown>;
  query: URLSearchParams;
  request: IncomingMessage;
  service: { clientId: string; name: string };
  /** The methods the login page offers for this request (installation, service policy, acr_values). */
  offered(): Promise<string[]>;
}

/** A step answers JSON, or has authenticated the person (the login then continues to the service). */
export type LoginStepResult = { json: unknown } | { auth: AuthResult };

/**
 * One HTTP endpoint of a method, mounted at `/interaction/:uid/<routeSegment>/<path>` (`path` ''
 * is the method's own URL). The HTTP layer checks, before `run`: the interaction cookie, the
 * method's availability for this installation and service, the same origin and JSON for POST, the
 * limits named here, and a pending login (unless `anyPrompt`). A step that authenticates is
 * audited either way.
 */
export interface LoginStep {
  path: string;
  httpMethod: 'GET' | 'POST';
  /** 'page': a top-level navigation — success redirects to the service, a failure is an HTML page. */
  response: 'json' | 'page';
  /** Counted per client address before anything runs. */
  addressLimit: RateLimitName;
  /** Counted per login once the interaction cookie proved the browser owns it. */
  loginLimit: RateLimitName;
  /** Runs whatever the interaction's prompt (a status poll). */
  anyPrompt?: boolean;
  /** The step that logs the person in: its refusals are audited as failed logins. */
  authenticates?: boolean;
  run(deps: MethodDependencies, input: LoginStepInput): Promise<LoginStepResult>;
}

/**
 * Everything the rest of the portal needs to know about a login method (issue 14). One value per
 * method folder under `src/auth/methods/<id>/`, listed once in `src/auth/methods/registry.ts`.
 */
export interface LoginMethodDefinition<Id extends string = string> {
  id: Id;
  assurance: Assurance;
  credential: Credential;
  /** The URL segment of its steps (default: the id). */
  routeSegment?: string;
  /** The entry of a service's `login_methods` that offers it (default: the id). */
  offeredAs?: string;
  chooser: {
    /** The login page's panel that runs it (app/interaction/[uid]/method-panels.tsx). */
    panel: string;
    titleKey: string;
    descriptionKey: string;
    devices: readonly Device[];
  };
  /** Audit events its steps write besides `login` (see the Audit log section of the README). */
  auditEvents: readonly string[];
  available(installation: InstallationFacts): boolean;
  steps: readonly LoginStep[];
}

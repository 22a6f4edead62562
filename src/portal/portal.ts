import type { SqlQueryable } from '@prisma/driver-adapter-utils';
import type { Environment } from '../config/environment.ts';
import type { Db } from '../db/current.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import type { OidcProvider } from '../oidc/provider.ts';
import type { RelyingParty } from '../auth/methods/passkey/relying-party.ts';
import type { LoginMethodId } from '../auth/methods/registry.ts';
import type { AuditEntry } from '../audit/audit-log.ts';
import type { RefusalSummary } from '../audit/refusal-summary.ts';
import type { RateLimiters } from '../limits/rate-limiters.ts';
import type { AuditCheckpoints } from '../audit/audit-checkpoints.ts';
import type { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import type { OutboundFetch } from '../net/outbound-fetch.ts';
import type { KeyStores } from '../signing/key-store-factory.ts';
import type { SigningStatusCache } from '../signing/signing-status-cache.ts';

/** Everything the running portal is made of, built once at start-up by startPortal(). */
export interface Portal {
  env: Environment;
  prisma: Db;
  /** Driver-level queries on the same database handle (see Database.sql). */
  sql: SqlQueryable;
  kek: KeyEncryptionKey;
  provider: OidcProvider;
  rp: RelyingParty;
  /** Trust anchors and CRLs from the database, per scheme. */
  trust: TrustStoreCache;
  /** The outbound fetch for CRL, OCSP, JWKS and back-channel requests (PRIVATE_FETCH_HOSTS, HTTP proxy): src/net/outbound-fetch.ts. */
  outboundFetch: OutboundFetch;
  /** The second certificates' `valid` statuses, kept a minute per trust store (src/signing/signing-status-cache.ts). */
  signingStatus: SigningStatusCache;
  /** Where the second certificates' private keys live (PKCS#11 token or the sealed software store). */
  keyStores: KeyStores;
  /** Login methods this installation offers now, in the order the chooser shows them. */
  methods(): Promise<LoginMethodId[]>;
  audit(entry: AuditEntry): Promise<void>;
  /** Repeated identical refusals (rate limits, spoofed headers, failed logins) as one entry a minute. */
  refusals: RefusalSummary;
  /** Abuse limits per address, interaction and account (shared through PostgreSQL). */
  limits: RateLimiters;
  /** Signed checkpoints of the audit chain, outside the database. */
  auditCheckpoints: AuditCheckpoints;
  log(line: string): void;
  close(): Promise<void>;
}

// Shared with Next.js page bundles through globalThis (see db/current.ts for why).
const GLOBAL_KEY = Symbol.for('hpki-sso.portal');
type WithPortal = typeof globalThis & { [GLOBAL_KEY]?: Portal };

export function installPortal(portal: Portal | undefined): void {
  (globalThis as WithPortal)[GLOBAL_KEY] = portal;
}

/** The running portal, or undefined (e.g. while Next.js prerenders at build time). */
export function runningPortal(): Portal | undefined {
  return (globalThis as WithPortal)[GLOBAL_KEY];
}

export function currentPortal(): Portal {
  const portal = (globalThis as WithPortal)[GLOBAL_KEY];
  if (!portal) throw new Error('The portal is not running: start it through server.ts');
  return portal;
}

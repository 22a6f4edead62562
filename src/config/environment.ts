import path from 'node:path';
import { z } from 'zod';
import { isLoopbackUrl } from './loopback.ts';
import { parseRateLimits, type RateLimitSettings } from './rate-limits.ts';
import { parseTrustedProxies } from './trusted-proxies.ts';
import { dailyWindowMaxSeconds, resolveDailyWindow, type DailyWindow } from './daily-window.ts';

/** Every setting the portal reads from the environment, parsed once at start-up. */
const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** The origin people use to reach the portal; the issuer is PUBLIC_URL + /oidc. */
  PUBLIC_URL: z
    .string()
    .url()
    .optional()
    .transform((v) => v?.replace(/\/+$/, '')),
  DATABASE_URL: z.string().optional(),
  /** 32 bytes, base64 or base64url: encrypts signing keys; without it a key file is generated. */
  KEY_ENCRYPTION_KEY: z.string().optional(),
  KEY_ENCRYPTION_KEY_FILE: z.string().optional(),
  /**
   * Demo data and demo-only helpers: on by default only for the embedded database on a loopback
   * PUBLIC_URL; anywhere else only when set explicitly (then loudly).
   */
  DEMO: z.enum(['true', 'false', '1', '0']).optional(),
  /**
   * One daily window (issue 17 §5, seed 003): the SSO session's absolute end and the remote-signing
   * authorisation's end, from the authentication: "18h" (default) or "until 03:00" (Japan time).
   */
  DAILY_WINDOW: z.string().max(40).optional(),
  /** Deprecated alias of DAILY_WINDOW=<hours>h. */
  SESSION_MAX_HOURS: z.coerce.number().positive().max(24).optional(),
  /** Portal and admin console sessions end after this long without a request (AAL3: 15 min). */
  SESSION_IDLE_MINUTES: z.coerce.number().positive().max(24 * 60).optional(),
  /** Overrides of the abuse limits (src/config/rate-limits.ts): "name=points/seconds,…". */
  RATE_LIMITS: z.string().max(2000).optional(),
  /** A request's headers must arrive within this many seconds, its whole body within the second. */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).optional(),
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).optional(),
  /** A refused (429) request is answered this much later, so a flood cannot run at full speed. */
  RATE_LIMIT_REFUSAL_DELAY_MS: z.coerce.number().int().min(0).max(10_000).optional(),
  /** Open connections one client address may hold at once (trusted proxies excepted). */
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).optional(),
  NODE_ENV: z.string().optional(),
  /** Reverse proxies whose X-Forwarded-* and client-certificate headers are believed: addresses and CIDR ranges, comma-separated. */
  TRUSTED_PROXIES: z.string().optional(),
  /**
   * Host names that outbound requests may reach although they resolve to private or loopback
   * addresses: linked services the provider calls (back-channel logout, JWKS URIs), CRL
   * distribution points and OCSP responders (src/net/outbound-fetch.ts), e.g. on a hospital LAN.
   */
  PRIVATE_FETCH_HOSTS: z.string().optional(),
  // HTTPS_PROXY, HTTP_PROXY, NO_PROXY (and their lower-case forms): read by readOutboundProxy below.
  /** Port of the HTTPS listener that asks for the HPKI client certificate; unset: no listener. */
  HTTPS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** PEM server certificate (with its chain) and key for that listener; without them the demo makes one. */
  HTTPS_CERT_FILE: z.string().min(1).optional(),
  HTTPS_KEY_FILE: z.string().min(1).optional(),
  /** Header in which a trusted proxy forwards the client certificate as URL-encoded PEM (nginx). */
  CLIENT_CERT_PROXY_HEADER: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name').optional(),
  /** Enrol a practitioner from an unknown but valid HPKI certificate at first login (on in the demo). */
  HPKI_AUTO_ENROL: z.enum(['true', 'false', '1', '0']).optional(),
  /** Accept the demo's software My Number Card proof (a signature over the nonce, not bound to the origin). */
  JPKI_UNBOUND_PROOF: z.enum(['true', 'false', '1', '0']).optional(),
  /** Where the demo keeps its own test HPKI hierarchy and software-card keys (demo mode only). */
  DEMO_PKI_DIR: z.string().optional(),
  /** Fetch CRLs from their distribution points hourly (default on). */
  CRL_FETCH: z.enum(['true', 'false', '1', '0']).optional(),
  /** Ask the OCSP responder named in a certificate before its CRL (default on). */
  OCSP: z.enum(['true', 'false', '1', '0']).optional(),
  /** Smallest RSA key (leaf and CA) accepted; only raises the floor of 2048. */
  CERTIFICATE_MIN_RSA_BITS: z.coerce.number().int().min(2048, 'must be at least 2048').max(16384).optional(),
  /** Accept an HPKI login certificate signed directly by a root anchor (default off: an issuing CA is required). */
  HPKI_ALLOW_LEAF_FROM_ROOT: z.enum(['true', 'false', '1', '0']).optional(),
  /** SHA-256 fingerprints (hex, comma-separated) of issuing CAs to treat as HPKI authentication CAs although their certificate names no authentication policy. */
  HPKI_AUTHENTICATION_CAS: z
    .string()
    .optional()
    .refine((v) => list(v).every((f) => /^[0-9a-f]{64}$/i.test(f.replace(/:/g, ''))), 'must be SHA-256 certificate fingerprints in hex, separated by commas'),
  /** Deprecated alias of DAILY_WINDOW=<hours>h (seed 003: about a day). */
  SIGNING_AUTHORISATION_HOURS: z.coerce.number().positive().max(24).optional(),
  /** The portal home warns this many days before a certificate or the linked My Number Card expires (seed 004; default 60). */
  EXPIRY_NOTICE_DAYS: z.coerce.number().int().min(1).max(365).optional(),
  /** A spent refresh token retried within this many seconds (before its successor is used) gets a fresh pair instead of revoking the grant; 0: never. */
  REFRESH_TOKEN_RETRY_SECONDS: z.coerce.number().int().min(0).max(600).optional(),
  /**
   * Origin where the client-certificate login is served: a TLS proxy that asks for the HPKI
   * certificate and forwards it. Default with HTTPS_PORT: https://<PUBLIC_URL host>:<HTTPS_PORT>.
   */
  HPKI_CERT_ORIGIN: z.string().url().optional(),
  /** PKCS#11 library holding the remote-signing keys (e.g. /usr/lib/softhsm/libsofthsm2.so); unset: software key store. */
  PKCS11_MODULE: z.string().min(1).optional(),
  /** Label of the token in that library, and its user PIN. */
  PKCS11_TOKEN_LABEL: z.string().min(1).max(32).optional(),
  PKCS11_PIN: z.string().min(1).optional(),
  /** Append-only file of signed audit checkpoints, outside the database folder. */
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  /** A checkpoint every this many audit entries (default 1000)... */
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(100_000).optional(),
  /** ...or every this many minutes when there are new entries (default 5), whichever comes first. */
  AUDIT_CHECKPOINT_MINUTES: z.coerce.number().positive().max(24 * 60).optional(),
});

export interface Environment {
  port: number;
  host: string;
  publicUrl: string;
  issuer: string;
  databaseUrl: string | undefined;
  keyEncryptionKey: string | undefined;
  keyEncryptionKeyFile: string;
  demo: boolean;
  /** Demo mode on a PUBLIC_URL other people can reach (only with an explicit DEMO=true). */
  demoOutsideLoopback: boolean;
  production: boolean;
  /** DAILY_WINDOW: where the SSO session and the signing authorisation of one login end (src/config/daily-window.ts). */
  dailyWindow: DailyWindow;
  /** The window's longest length, and the idle limit of portal sessions, in seconds. */
  sessionMaxSeconds: number;
  sessionIdleSeconds: number;
  rateLimits: RateLimitSettings;
  /** How much later a 429 is sent (0: at once). */
  rateLimitRefusalDelayMs: number;
  /** Transport limits of both listeners. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; maxConnectionsPerAddress: number };
  trustedProxies: string[];
  privateFetchHosts: string[];
  /**
   * The forward proxy of outbound requests (CRL, OCSP, JWKS, back-channel logout), from
   * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower-case forms first, as curl reads them); all
   * undefined: direct. Handed to createOutboundFetch (src/net/outbound-fetch.ts).
   */
  outboundProxy: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
  httpsPort: number | undefined;
  httpsCertFile: string | undefined;
  httpsKeyFile: string | undefined;
  clientCertProxyHeader: string;
  hpkiAutoEnrol: boolean;
  /**
   * My Number Card proofs made by the page itself over PC/SC pass-through (the demo's software card):
   * a signature over the nonce that names no origin, so a page elsewhere could relay it. Off outside
   * the demo; the card bridge's origin-bound token is always accepted.
   */
  jpkiUnboundProof: boolean;
  demoPkiDir: string;
  crlFetch: boolean;
  ocsp: boolean;
  /** Certificate rules of this installation (src/pki/certificate-rules.ts). */
  certificates: { minRsaBits: number; allowLeafFromAnchor: boolean; authenticationCaFingerprints: string[] };
  /** Days ahead the portal home warns of an expiring certificate or My Number Card (EXPIRY_NOTICE_DAYS). */
  expiryNoticeDays: number;
  /** Grace for retrying a spent refresh token (a lost refresh response), in seconds; 0: none. */
  refreshRetrySeconds: number;
  /** Where the hpki-cert login lives; undefined: the method is not offered. */
  hpkiCertOrigin: string | undefined;
  /** The PKCS#11 token for remote-signing keys; undefined: the software key store. */
  pkcs11?: { module: string; tokenLabel: string; pin: string };
  /** Where and how often the audit chain is anchored outside the database. */
  auditCheckpoints: { file: string; every: number; minutes: number };
}

export function readEnvironment(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Environment {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  const embedded = !e.DATABASE_URL || e.DATABASE_URL.startsWith('pglite:');
  const loopback = isLoopbackUrl(publicUrl);
  // The demo hands out test keys (the demo administrator's card among them): never by accident.
  const demo = e.DEMO === undefined ? embedded && loopback : e.DEMO === 'true' || e.DEMO === '1';
  let trustedProxies: string[];
  try {
    trustedProxies = parseTrustedProxies(e.TRUSTED_PROXIES);
  } catch (error) {
    throw new Error(`Invalid configuration: ${(error as Error).message}`);
  }
  let rateLimits: RateLimitSettings;
  try {
    rateLimits = parseRateLimits(e.RATE_LIMITS);
  } catch (error) {
    throw new Error(`Invalid configuration: ${(error as Error).message}`);
  }
  const outboundProxy = readOutboundProxy(env);
  const dailyWindow = resolveDailyWindow(e.DAILY_WINDOW, e.SESSION_MAX_HOURS, e.SIGNING_AUTHORISATION_HOURS);
  if (!e.HTTPS_CERT_FILE !== !e.HTTPS_KEY_FILE) throw new Error('Invalid configuration: HTTPS_CERT_FILE and HTTPS_KEY_FILE go together');
  if (e.PKCS11_MODULE && (!e.PKCS11_TOKEN_LABEL || !e.PKCS11_PIN)) throw new Error('Invalid configuration: PKCS11_MODULE needs PKCS11_TOKEN_LABEL and PKCS11_PIN');
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    issuer: `${publicUrl}/oidc`,
    databaseUrl: e.DATABASE_URL,
    keyEncryptionKey: e.KEY_ENCRYPTION_KEY,
    keyEncryptionKeyFile: path.resolve(cwd, e.KEY_ENCRYPTION_KEY_FILE ?? '.data/secrets/key-encryption.key'),
    demo,
    demoOutsideLoopback: demo && !loopback,
    production: e.NODE_ENV === 'production',
    dailyWindow,
    sessionMaxSeconds: dailyWindowMaxSeconds(dailyWindow),
    sessionIdleSeconds: Math.round((e.SESSION_IDLE_MINUTES ?? 15) * 60),
    rateLimits,
    rateLimitRefusalDelayMs: e.RATE_LIMIT_REFUSAL_DELAY_MS ?? 250,
    http: {
      headersTimeoutMs: (e.HTTP_HEADERS_TIMEOUT_SECONDS ?? 10) * 1000,
      requestTimeoutMs: (e.HTTP_REQUEST_TIMEOUT_SECONDS ?? 30) * 1000,
      maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS ?? 100,
    },
    trustedProxies,
    httpsPort: e.HTTPS_PORT,
    httpsCertFile: e.HTTPS_CERT_FILE && path.resolve(cwd, e.HTTPS_CERT_FILE),
    httpsKeyFile: e.HTTPS_KEY_FILE && path.resolve(cwd, e.HTTPS_KEY_FILE),
    clientCertProxyHeader: (e.CLIENT_CERT_PROXY_HEADER ?? 'x-ssl-client-cert').toLowerCase(),
    // The demo relying party runs on localhost.
    hpkiCertOrigin: e.HPKI_CERT_ORIGIN
      ? new URL(e.HPKI_CERT_ORIGIN).origin
      : e.HTTPS_PORT
        ? `https://${new URL(publicUrl).hostname}:${e.HTTPS_PORT}`
        : undefined,
    expiryNoticeDays: e.EXPIRY_NOTICE_DAYS ?? 60,
    refreshRetrySeconds: e.REFRESH_TOKEN_RETRY_SECONDS ?? 60,
    ocsp: e.OCSP === undefined || e.OCSP === 'true' || e.OCSP === '1',
    certificates: {
      minRsaBits: e.CERTIFICATE_MIN_RSA_BITS ?? 2048,
      allowLeafFromAnchor: e.HPKI_ALLOW_LEAF_FROM_ROOT === 'true' || e.HPKI_ALLOW_LEAF_FROM_ROOT === '1',
      authenticationCaFingerprints: list(e.HPKI_AUTHENTICATION_CAS).map((f) => f.replace(/:/g, '').toLowerCase()),
    },
    crlFetch: e.CRL_FETCH === undefined || e.CRL_FETCH === 'true' || e.CRL_FETCH === '1',
    demoPkiDir: path.resolve(cwd, e.DEMO_PKI_DIR ?? '.data/demo-pki'),
    auditCheckpoints: {
      file: path.resolve(cwd, e.AUDIT_CHECKPOINT_FILE ?? '.data/audit/checkpoints.jsonl'),
      every: e.AUDIT_CHECKPOINT_EVERY ?? 1000,
      minutes: e.AUDIT_CHECKPOINT_MINUTES ?? 5,
    },
    ...(e.PKCS11_MODULE ? { pkcs11: { module: e.PKCS11_MODULE, tokenLabel: e.PKCS11_TOKEN_LABEL!, pin: e.PKCS11_PIN! } } : {}),
    hpkiAutoEnrol: e.HPKI_AUTO_ENROL === undefined ? demo : e.HPKI_AUTO_ENROL === 'true' || e.HPKI_AUTO_ENROL === '1',
    jpkiUnboundProof: e.JPKI_UNBOUND_PROOF === undefined ? demo : e.JPKI_UNBOUND_PROOF === 'true' || e.JPKI_UNBOUND_PROOF === '1',
    privateFetchHosts: e.PRIVATE_FETCH_HOSTS !== undefined ? list(e.PRIVATE_FETCH_HOSTS) : demo ? ['localhost'] : [],
    outboundProxy,
  };
}

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, either case (lower case wins, as in curl); empty means unset;
 * `host:port` without a scheme means http://, as in curl. Anything else that is not an http(s) URL
 * stops the start: a typo would otherwise surface only when the first CRL or OCSP fetch fails.
 */
function readOutboundProxy(env: Record<string, string | undefined>): Environment['outboundProxy'] {
  const pick = (name: string) => (env[name.toLowerCase()] || env[name] || '').trim() || undefined;
  const proxyUrl = (name: string): string | undefined => {
    const value = pick(name);
    if (value === undefined) return undefined;
    const withScheme = value.includes('://') ? value : `http://${value}`;
    let url: URL | undefined;
    try {
      url = new URL(withScheme);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw new Error(`Invalid configuration: ${name}: must be an http:// or https:// proxy URL (or host:port)`);
    }
    return withScheme;
  };
  const noProxy = pick('NO_PROXY');
  if (noProxy !== undefined && noProxy.length > 4000) throw new Error('Invalid configuration: NO_PROXY: longer than 4000 characters');
  return { httpProxy: proxyUrl('HTTP_PROXY'), httpsProxy: proxyUrl('HTTPS_PROXY'), noProxy };
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

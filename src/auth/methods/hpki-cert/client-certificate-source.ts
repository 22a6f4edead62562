import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { isTrustedProxyAddress } from '../../../config/trusted-proxies.ts';
import { errorMessages } from '../../../errors/catalogue.ts';

/**
 * Where the HPKI authentication certificate of a login comes from: the TLS handshake on our own
 * HTTPS listener, or a reverse proxy that terminated TLS and forwards the certificate in a header.
 * Only bytes are extracted here; validation (chain, purpose, revocation, hcRole) is the login
 * method's, so nothing in this file decides whether the certificate is acceptable.
 */

/** A real HPKI certificate is ~1.5 KiB; the same limit as `MAX_CERTIFICATE_BYTES` in src/pki. */
export const MAX_CLIENT_CERTIFICATE_BYTES = 16 * 1024;

/** The nginx-style header (`proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;`). */
export const DEFAULT_CLIENT_CERT_PROXY_HEADER = 'x-ssl-client-cert';

/** RFC 9440: the end-entity certificate and (ignored here) the chain the client sent. */
export const RFC9440_CLIENT_CERT_HEADER = 'client-cert';
export const RFC9440_CLIENT_CERT_CHAIN_HEADER = 'client-cert-chain';

/**
 * Longest header value read at all: URL-encoded PEM of a 16 KiB certificate is at most ~3 × its
 * base64 (every `+`, `/`, `=` and line break becomes `%XX`), so anything longer is refused undecoded.
 */
const MAX_HEADER_CHARS = 3 * (Math.ceil(MAX_CLIENT_CERTIFICATE_BYTES / 3) * 4 + 2 * Math.ceil(MAX_CLIENT_CERTIFICATE_BYTES / 48) + 128);

export type ClientCertificateErrorCode =
  | 'client_certificate_malformed'
  | 'client_certificate_untrusted_proxy'
  | 'client_certificate_too_large';

export type ClientCertificateResult =
  | { kind: 'certificate'; der: Uint8Array; source: 'tls' | 'proxy' }
  | { kind: 'none' }
  | { kind: 'error'; code: ClientCertificateErrorCode };

export interface ClientCertificateSourceOptions {
  /** Addresses (IPv4 or IPv6, no ports) of reverse proxies whose certificate headers are believed. */
  trustedProxies: string[];
  /** Header in which the proxy forwards URL-encoded PEM; default `x-ssl-client-cert`. */
  proxyHeader?: string;
}

/** The sentence a person sees for each code (ja, en), from src/i18n/messages. Codes are API: never rename one. */
export const clientCertificateErrorMessages = errorMessages<ClientCertificateErrorCode>(['client_certificate_malformed', 'client_certificate_untrusted_proxy', 'client_certificate_too_large']);

/** The TCP peer as a plain address: IPv4-mapped IPv6 (`::ffff:127.0.0.1`) becomes `127.0.0.1`. */
export function peerAddress(req: IncomingMessage): string | undefined {
  const address = req.socket?.remoteAddress;
  if (!address) return undefined;
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** True when the TCP peer of this request is one of the configured reverse proxies (addresses or CIDR ranges). */
export function isTrustedProxy(req: IncomingMessage, trustedProxies: readonly string[]): boolean {
  return isTrustedProxyAddress(peerAddress(req), trustedProxies);
}

/** Requests whose certificate headers were removed, so a later read can say why there is none. */
const strippedRequests = new WeakSet<IncomingMessage>();

function certificateHeaderNames(proxyHeader: string | undefined): string[] {
  const configured = (proxyHeader ?? DEFAULT_CLIENT_CERT_PROXY_HEADER).trim().toLowerCase();
  return [...new Set([RFC9440_CLIENT_CERT_HEADER, RFC9440_CLIENT_CERT_CHAIN_HEADER, configured])];
}

/**
 * Removes the certificate headers from a request whose TCP peer is not a trusted proxy, so that
 * nothing later (pages, logs, another reader) can mistake a browser-supplied header for a proxy's.
 * Returns true when something was removed: a browser sending these headers is worth an audit entry.
 */
export function stripUntrustedCertificateHeaders(
  req: IncomingMessage,
  trustedProxies: string[],
  proxyHeader: string = DEFAULT_CLIENT_CERT_PROXY_HEADER,
): boolean {
  if (isTrustedProxy(req, trustedProxies)) return false;
  const names = new Set(certificateHeaderNames(proxyHeader));
  let removed = false;
  for (const name of names) {
    if (req.headers[name] !== undefined) removed = true;
  }
  // rawHeaders feeds the lazily built `headers`/`headersDistinct` views; filter it as well.
  if (Array.isArray(req.rawHeaders) && req.rawHeaders.length > 0) {
    const kept: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      if (names.has(req.rawHeaders[i]!.toLowerCase())) removed = true;
      else kept.push(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    }
    if (kept.length !== req.rawHeaders.length) req.rawHeaders = kept;
  }
  for (const name of names) delete req.headers[name];
  if (removed) strippedRequests.add(req);
  return removed;
}

/**
 * The client certificate of this request, as DER.
 *
 * - From a trusted proxy that sends a certificate header, the header is the answer (the proxy
 *   terminated the browser's TLS): RFC 9440 `Client-Cert` (`:<base64 DER>:`) or URL-encoded PEM in
 *   `proxyHeader`. A malformed header is an error, never a fall-back to another source.
 * - Otherwise, on a TLS socket, the certificate the browser presented in the handshake, whatever the
 *   TLS layer thought of it (the listener does not verify; the application does).
 * - Certificate headers from any other peer are never decoded. When they were the only candidate
 *   (no TLS certificate), the answer is `client_certificate_untrusted_proxy` — usually a proxy
 *   missing from TRUSTED_PROXIES, or a forged header — before or after
 *   `stripUntrustedCertificateHeaders` removed them.
 */
export function readClientCertificate(req: IncomingMessage, options: ClientCertificateSourceOptions): ClientCertificateResult {
  if (isTrustedProxy(req, options.trustedProxies)) {
    const forwarded = readForwardedCertificate(req, options.proxyHeader);
    if (forwarded.kind !== 'none') return forwarded;
    return readTlsCertificate(req);
  }
  const tls = readTlsCertificate(req);
  if (tls.kind !== 'none') return tls;
  const untrustedHeader =
    strippedRequests.has(req) || certificateHeaderNames(options.proxyHeader).some((name) => req.headers[name] !== undefined);
  return untrustedHeader ? { kind: 'error', code: 'client_certificate_untrusted_proxy' } : tls;
}

function readTlsCertificate(req: IncomingMessage): ClientCertificateResult {
  const socket = req.socket as TLSSocket | undefined;
  if (!socket || socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return { kind: 'none' };
  // An empty object (or null on a closed socket) when the browser sent no certificate.
  const peer = socket.getPeerCertificate(false) as { raw?: Buffer } | null;
  const raw = peer?.raw;
  if (!raw || raw.byteLength === 0) return { kind: 'none' };
  if (raw.byteLength > MAX_CLIENT_CERTIFICATE_BYTES) return { kind: 'error', code: 'client_certificate_too_large' };
  return { kind: 'certificate', der: new Uint8Array(raw), source: 'tls' };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  // Node joins repeated unknown headers with ", "; an array only comes from hand-built requests.
  return Array.isArray(value) ? value.join(', ') : value;
}

function readForwardedCertificate(req: IncomingMessage, proxyHeader: string | undefined): ClientCertificateResult {
  const configured = (proxyHeader ?? DEFAULT_CLIENT_CERT_PROXY_HEADER).trim().toLowerCase();
  const rfc9440 = headerValue(req, RFC9440_CLIENT_CERT_HEADER);
  const escaped = configured === RFC9440_CLIENT_CERT_HEADER ? undefined : headerValue(req, configured);

  const fromRfc9440 = rfc9440 === undefined ? undefined : decodeRfc9440ClientCert(rfc9440);
  const fromEscaped = escaped === undefined ? undefined : decodeEscapedCertificate(escaped);
  const results = [fromRfc9440, fromEscaped].filter((r): r is ClientCertificateResult => r !== undefined && r.kind !== 'none');
  if (results.length === 0) return { kind: 'none' };
  const error = results.find((r) => r.kind === 'error');
  if (error) return error;
  const [first, second] = results as Array<Extract<ClientCertificateResult, { kind: 'certificate' }>>;
  // Two headers naming different certificates: the proxy configuration is wrong; believe neither.
  if (second && !equalBytes(first!.der, second.der)) return { kind: 'error', code: 'client_certificate_malformed' };
  return first!;
}

/**
 * RFC 9440 §2.2: `Client-Cert` is an RFC 8941 Byte Sequence, `:` base64 DER `:`. Strict alphabet;
 * missing `=` padding is tolerated as RFC 8941 §4.2.7 asks of parsers.
 */
export function decodeRfc9440ClientCert(value: string): ClientCertificateResult {
  const trimmed = value.trim();
  if (trimmed === '') return { kind: 'none' };
  if (trimmed.length > MAX_HEADER_CHARS) return { kind: 'error', code: 'client_certificate_too_large' };
  const match = /^:([A-Za-z0-9+/]*={0,2}):$/.exec(trimmed);
  if (!match) return { kind: 'error', code: 'client_certificate_malformed' };
  return derFromBase64(match[1]!, { requirePadding: false });
}

/**
 * A URL-encoded PEM (`$ssl_client_escaped_cert`) with exactly one CERTIFICATE block and nothing
 * else but whitespace; also accepted: the same PEM unescaped with its line breaks folded to spaces
 * (Apache `%{SSL_CLIENT_CERT}s`), and bare base64 DER (HAProxy `%[ssl_c_der,base64]`).
 */
export function decodeEscapedCertificate(value: string): ClientCertificateResult {
  const trimmed = value.trim();
  // Empty: nginx sends nothing without a certificate, others send an empty value or "(null)".
  if (trimmed === '' || trimmed === '(null)') return { kind: 'none' };
  if (trimmed.length > MAX_HEADER_CHARS) return { kind: 'error', code: 'client_certificate_too_large' };
  let text: string;
  try {
    text = decodeURIComponent(trimmed);
  } catch {
    return { kind: 'error', code: 'client_certificate_malformed' };
  }
  text = text.trim();
  if (!text.startsWith('-----')) {
    return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? derFromBase64(text, { requirePadding: true }) : { kind: 'error', code: 'client_certificate_malformed' };
  }
  return derFromPem(text);
}

const PEM_BOUNDARY = /-----(BEGIN|END) ([A-Z0-9 ]+)-----/g;

function derFromPem(text: string): ClientCertificateResult {
  const boundaries = [...text.matchAll(PEM_BOUNDARY)];
  if (
    boundaries.length !== 2 ||
    boundaries[0]![1] !== 'BEGIN' ||
    boundaries[1]![1] !== 'END' ||
    boundaries[0]![2] !== 'CERTIFICATE' ||
    boundaries[1]![2] !== 'CERTIFICATE' ||
    boundaries[0]!.index !== 0 ||
    boundaries[1]!.index! + boundaries[1]![0].length !== text.length
  ) {
    return { kind: 'error', code: 'client_certificate_malformed' };
  }
  const body = text.slice(boundaries[0]![0].length, boundaries[1]!.index);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) return { kind: 'error', code: 'client_certificate_malformed' };
  const base64 = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return { kind: 'error', code: 'client_certificate_malformed' };
  return derFromBase64(base64, { requirePadding: true });
}

function derFromBase64(base64: string, options: { requirePadding: boolean }): ClientCertificateResult {
  if (base64.length === 0) return { kind: 'error', code: 'client_certificate_malformed' };
  const unpadded = base64.replace(/=+$/, '');
  const remainder = unpadded.length % 4;
  // A remainder of 1 can never be valid base64; padding, when present, must complete a quantum.
  if (remainder === 1) return { kind: 'error', code: 'client_certificate_malformed' };
  if (base64.length !== unpadded.length || options.requirePadding) {
    if (base64.length % 4 !== 0) return { kind: 'error', code: 'client_certificate_malformed' };
  }
  if (Math.floor((unpadded.length * 3) / 4) > MAX_CLIENT_CERTIFICATE_BYTES) return { kind: 'error', code: 'client_certificate_too_large' };
  const der = Buffer.from(unpadded, 'base64');
  // Non-canonical encodings (stray bits in the last character) do not round-trip.
  if (der.toString('base64').replace(/=+$/, '') !== unpadded) return { kind: 'error', code: 'client_certificate_malformed' };
  if (!isSingleDerSequence(der)) return { kind: 'error', code: 'client_certificate_malformed' };
  return { kind: 'certificate', der: new Uint8Array(der), source: 'proxy' };
}

/** One DER SEQUENCE with a definite length and no trailing bytes: the outline of a certificate. */
function isSingleDerSequence(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || bytes[0] !== 0x30) return false;
  const first = bytes[1]!;
  if (first < 0x80) return bytes.length === 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || bytes.length < 2 + count || bytes[2] === 0) return false;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[2 + i]!;
  return bytes.length === 2 + count + length;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

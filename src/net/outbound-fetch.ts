/**
 * The portal's one way out to the network (CRL distribution points, OCSP responders, JWKS URIs
 * and back-channel logout): a `fetch`-compatible function that refuses loopback, link-local,
 * private and other special-use destinations unless the host is allowed (`PRIVATE_FETCH_HOSTS`),
 * checks every address a name resolves to and connects only to checked addresses (the check is in
 * the socket's own DNS lookup, so a name cannot change between check and connect), follows
 * redirects only to the same host, bounds the response size and the time, and goes through the
 * configured HTTP proxy (`HTTPS_PROXY` / `HTTP_PROXY`, `NO_PROXY`) when one is set.
 *
 * Bottom layer: imports only node built-ins and npm packages.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Agent, ProxyAgent, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';

export type OutboundFetchErrorKind =
  /** Not an absolute http(s) URL. */
  | 'invalid_url'
  /** The destination is a special-use address (loopback, private, link-local, …) and the host is not allowed. */
  | 'destination_refused'
  /** The host name did not resolve. */
  | 'dns_failed'
  /** A redirect to another host, or any redirect when the caller asked for `redirect: 'error'`. */
  | 'redirect_refused'
  | 'too_many_redirects'
  /** The response (declared or read) is larger than the limit. */
  | 'response_too_large'
  /** Connecting, or the whole exchange including the body, took longer than allowed. */
  | 'timeout'
  /** Any other transport failure (connection refused, reset, TLS, proxy). */
  | 'network';

export class OutboundFetchError extends Error {
  readonly kind: OutboundFetchErrorKind;
  readonly url: string;

  constructor(kind: OutboundFetchErrorKind, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutboundFetchError';
    this.kind = kind;
    this.url = url;
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name → addresses; the system resolver by default, a stand-in in tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface ProxySettings {
  /** Proxy for http: URLs (`HTTP_PROXY`). */
  httpProxy?: string;
  /** Proxy for https: URLs (`HTTPS_PROXY`; falls back to the http proxy). */
  httpsProxy?: string;
  /** Hosts reached without the proxy (`NO_PROXY`): comma-separated names, `.suffix`, `*`. */
  noProxy?: string;
}

export interface OutboundFetchOptions {
  /** Host names (or IP literals) that may resolve to special-use addresses: `PRIVATE_FETCH_HOSTS`. */
  allowHosts?: readonly string[];
  /** Default: from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) in the process environment. */
  proxy?: ProxySettings;
  /** Largest response body read, in bytes (default 1 MiB); a request may lower or raise it. */
  maxResponseBytes?: number;
  /** Time to establish a connection (default 5 s). */
  connectTimeoutMs?: number;
  /** Time for the whole exchange, body included (default 10 s); a request may change it. */
  timeoutMs?: number;
  /** Redirects followed, each to the same host (default 3). */
  maxRedirects?: number;
  resolve?: Resolver;
}

/** What a request may add to RequestInit; `dispatcher` and `redirect: 'follow'` are this module's. */
export type OutboundRequestInit = RequestInit & { maxResponseBytes?: number; timeoutMs?: number };

export type OutboundFetch = ((input: string | URL | Request, init?: OutboundRequestInit) => Promise<Response>) & {
  /** Closes the connection pools (tests, shutdown). */
  close(): Promise<void>;
};

export const OUTBOUND_DEFAULTS = Object.freeze({
  maxResponseBytes: 1024 * 1024,
  connectTimeoutMs: 5_000,
  timeoutMs: 10_000,
  maxRedirects: 3,
});

// --- Special-use addresses (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890) ---

// Two lists: a BlockList also matches IPv4 addresses against IPv6 rules (as IPv4-mapped), and
// ::ffff:0:0/96 below would then cover every IPv4 address.
const specialUse = new net.BlockList();
const specialUse6 = new net.BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC 1918
  ['192.175.48.0', 24], // AS112 direct delegation
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  specialUse.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped: a name has no business resolving to one
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation
  ['5f00::', 16], // SRv6 SIDs
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  specialUse6.addSubnet(network, prefix, 'ipv6');
}
/** NAT64 (RFC 6052): the IPv4 address in the last 32 bits decides. */
const NAT64_PREFIX = ['0064', 'ff9b', '0000', '0000', '0000', '0000'];

/** The eight 16-bit groups of an IPv6 address, as 4-digit lower-case hex. */
function ipv6Groups(address: string): string[] | undefined {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[1]!.split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, tail, ...more] = text.split('::');
  if (more.length) return undefined;
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => g.padStart(4, '0'));
}

/**
 * Whether an IP address is loopback, private, link-local, shared, multicast, documentation or
 * another special-use address that an outbound fetch must not reach unless its host is allowed.
 * Anything that is not an IP address counts as special-use (fail closed).
 */
export function isSpecialUseAddress(address: string): boolean {
  const plain = address.replace(/^\[|\]$/g, '');
  const family = net.isIP(plain);
  if (family === 4) return specialUse.check(plain, 'ipv4');
  if (family !== 6) return true;
  const groups = ipv6Groups(plain);
  if (!groups) return true;
  if (groups.slice(0, 6).join(':') === NAT64_PREFIX.join(':')) {
    const v4 = [groups[6]!, groups[7]!].flatMap((g) => [parseInt(g.slice(0, 2), 16), parseInt(g.slice(2), 16)]).join('.');
    return specialUse.check(v4, 'ipv4');
  }
  return specialUse6.check(plain, 'ipv6');
}

// --- Host names, allow list and proxy choice ---

/** A host as compared with the allow list: lower case, no brackets, no trailing dot. */
function hostKey(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
}

/** HTTPS_PROXY / HTTP_PROXY / NO_PROXY, lower case first and `host:port` as http:// (as curl); empty means unset. The portal reads them in src/config/environment.ts. */
export function proxyFromEnvironment(env: Record<string, string | undefined> = process.env): ProxySettings {
  const pick = (name: string) => (env[name.toLowerCase()] || env[name.toUpperCase()] || '').trim() || undefined;
  const withScheme = (value: string | undefined) => (value && !value.includes('://') ? `http://${value}` : value);
  return { httpProxy: withScheme(pick('http_proxy')), httpsProxy: withScheme(pick('https_proxy')), noProxy: pick('no_proxy') };
}

/** curl's NO_PROXY reading: `*`, exact names, and names under an entry (`example.org` or `.example.org`). */
function bypassesProxy(hostname: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = hostKey(hostname);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = hostKey(raw.trim().replace(/^\*?\./, '.').replace(/:\d+$/, ''));
    if (!entry) continue;
    if (entry === '*') return true;
    const bare = entry.replace(/^\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

const systemResolver: Resolver = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, order: 'verbatim' })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

// --- The fetch function ---

function toUrl(input: string | URL | Request): URL {
  const text = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new OutboundFetchError('invalid_url', String(text), `not an absolute URL: ${String(text).slice(0, 200)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundFetchError('invalid_url', url.href, `only http and https URLs are fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new OutboundFetchError('invalid_url', url.href, 'URLs with credentials are not fetched');
  return url;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** The error a caller sees: this module's own, a timeout, the caller's abort, or a network failure. */
function outboundError(error: unknown, url: URL, timeout: AbortSignal, callerSignal: AbortSignal | null | undefined, timeoutMs: number): unknown {
  const chain = errorChain(error);
  const own = chain.find((e): e is OutboundFetchError => e instanceof OutboundFetchError);
  if (own) return own;
  if (callerSignal?.aborted) return error;
  if (timeout.aborted || chain.some((e) => (e as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT')) {
    return new OutboundFetchError('timeout', url.href, `no complete answer from ${url.host} within ${timeoutMs} ms`, { cause: error });
  }
  const code = chain.map((e) => (e as { code?: string }).code).find(Boolean);
  const message = chain.map((e) => (e as Error).message).filter(Boolean).at(-1) ?? String(error);
  return new OutboundFetchError('network', url.href, `request to ${url.host} failed: ${message}${code ? ` (${code})` : ''}`, { cause: error });
}

/** The body, cut off with `response_too_large` past `maxBytes`; errors while reading become this module's errors. */
function limitedBody(source: ReadableStream<Uint8Array>, maxBytes: number, mapError: (error: unknown) => unknown, url: URL): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => undefined);
          controller.error(new OutboundFetchError('response_too_large', url.href, `the response from ${url.host} is larger than ${maxBytes} bytes`));
          return;
        }
        controller.enqueue(value);
      } catch (error) {
        controller.error(mapError(error));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

export function createOutboundFetch(options: OutboundFetchOptions = {}): OutboundFetch {
  const allowed = new Set((options.allowHosts ?? []).map(hostKey));
  const resolve = options.resolve ?? systemResolver;
  const proxy = options.proxy ?? proxyFromEnvironment();
  const connectTimeoutMs = options.connectTimeoutMs ?? OUTBOUND_DEFAULTS.connectTimeoutMs;
  const defaults = {
    maxResponseBytes: options.maxResponseBytes ?? OUTBOUND_DEFAULTS.maxResponseBytes,
    timeoutMs: options.timeoutMs ?? OUTBOUND_DEFAULTS.timeoutMs,
    maxRedirects: options.maxRedirects ?? OUTBOUND_DEFAULTS.maxRedirects,
  };

  /** Addresses of `hostname`, refused when any of them is special-use and the host is not allowed. */
  const checkedAddresses = async (hostname: string, url: string): Promise<ResolvedAddress[]> => {
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolve(hostname);
    } catch (cause) {
      throw new OutboundFetchError('dns_failed', url, `${hostname} does not resolve`, { cause });
    }
    if (addresses.length === 0) throw new OutboundFetchError('dns_failed', url, `${hostname} has no address`);
    if (!allowed.has(hostKey(hostname))) {
      const refused = addresses.find((a) => isSpecialUseAddress(a.address));
      if (refused) throw new OutboundFetchError('destination_refused', url, `${hostname} resolves to ${refused.address}, a private or special-use address (allow the host in PRIVATE_FETCH_HOSTS if it is meant)`);
    }
    return addresses;
  };

  // The socket's own lookup: the addresses it connects to are the ones checked here, so a DNS
  // answer cannot change between the check and the connection.
  const lookup = (hostname: string, lookupOptions: dns.LookupOptions, callback: (...args: unknown[]) => void): void => {
    checkedAddresses(hostname, `//${hostname}`).then(
      (addresses) => {
        const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? addresses.filter((a) => a.family === lookupOptions.family) : addresses;
        if (wanted.length === 0) callback(Object.assign(new Error(`${hostname} has no IPv${String(lookupOptions.family)} address`), { code: 'ENOTFOUND' }));
        else if (lookupOptions.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: unknown) => callback(error),
    );
  };

  const direct = new Agent({ connect: { lookup: lookup as unknown as net.LookupFunction, timeout: connectTimeoutMs } });
  const proxies = new Map<string, ProxyAgent>();
  const proxyAgent = (uri: string): ProxyAgent => {
    let agent = proxies.get(uri);
    if (!agent) proxies.set(uri, (agent = new ProxyAgent({ uri, connectTimeout: connectTimeoutMs })));
    return agent;
  };

  /** The dispatcher for one hop; a proxied or IP-literal destination is checked here, a named direct one at connect. */
  const dispatcherFor = async (url: URL): Promise<Dispatcher> => {
    const hostname = hostKey(url.hostname);
    const literal = net.isIP(hostname) !== 0;
    if (literal && !allowed.has(hostname) && isSpecialUseAddress(hostname)) {
      throw new OutboundFetchError('destination_refused', url.href, `${hostname} is a private or special-use address (allow it in PRIVATE_FETCH_HOSTS if it is meant)`);
    }
    const proxyUri = bypassesProxy(hostname, proxy.noProxy) ? undefined : url.protocol === 'https:' ? (proxy.httpsProxy ?? proxy.httpProxy) : proxy.httpProxy;
    if (!proxyUri) return direct;
    // The proxy resolves the name itself (and may be a private address); the destination is checked here.
    if (!literal) await checkedAddresses(hostname, url.href);
    return proxyAgent(proxyUri);
  };

  const outboundFetch = async (input: string | URL | Request, init: OutboundRequestInit = {}): Promise<Response> => {
    let url = toUrl(input);
    const { maxResponseBytes = defaults.maxResponseBytes, timeoutMs = defaults.timeoutMs, redirect = 'follow', signal: callerSignal, ...rest } = init;
    delete (rest as { dispatcher?: unknown }).dispatcher;
    let method = (rest.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    let body = rest.body ?? (input instanceof Request && input.body ? new Uint8Array(await input.arrayBuffer()) : undefined);
    const headers = new Headers(rest.headers ?? (input instanceof Request ? input.headers : undefined));
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    const mapError = (error: unknown) => outboundError(error, url, timeout, callerSignal, timeoutMs);
    const firstHost = hostKey(url.hostname);

    for (let redirects = 0; ; redirects++) {
      let response: Awaited<ReturnType<typeof undiciFetch>>;
      try {
        const dispatcher = await dispatcherFor(url);
        response = await undiciFetch(url, { ...(rest as object), method, headers: [...headers] as [string, string][], body: body as never, redirect: 'manual', signal, dispatcher });
      } catch (error) {
        throw mapError(error);
      }
      const location = response.headers.get('location');
      if (REDIRECT_STATUSES.has(response.status) && location !== null && redirect !== 'manual') {
        await response.body?.cancel().catch(() => undefined);
        if (redirect === 'error') throw new OutboundFetchError('redirect_refused', url.href, `${url.host} answered a redirect (${response.status}), which this request does not follow`);
        let next: URL;
        try {
          next = toUrl(new URL(location, url).href);
        } catch (error) {
          throw error instanceof OutboundFetchError ? new OutboundFetchError('redirect_refused', url.href, `redirect to an unusable location: ${error.message}`) : error;
        }
        if (hostKey(next.hostname) !== firstHost) {
          throw new OutboundFetchError('redirect_refused', url.href, `redirect from ${firstHost} to another host (${next.hostname}) refused`);
        }
        if (redirects >= defaults.maxRedirects) throw new OutboundFetchError('too_many_redirects', url.href, `more than ${defaults.maxRedirects} redirects`);
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          headers.delete('content-type');
          headers.delete('content-length');
        }
        url = next;
        continue;
      }

      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxResponseBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw new OutboundFetchError('response_too_large', url.href, `the response from ${url.host} declares ${declared} bytes (limit ${maxResponseBytes})`);
      }
      const limited = response.body && !NULL_BODY_STATUSES.has(response.status) ? limitedBody(response.body as ReadableStream<Uint8Array>, maxResponseBytes, mapError, url) : null;
      const result = new Response(limited, { status: response.status, statusText: response.statusText, headers: [...response.headers] });
      Object.defineProperty(result, 'url', { value: url.href });
      Object.defineProperty(result, 'redirected', { value: redirects > 0 });
      return result;
    }
  };

  return Object.assign(outboundFetch, {
    async close() {
      await Promise.all([direct.close(), ...[...proxies.values()].map((p) => p.close())]);
    },
  });
}

let strict: OutboundFetch | undefined;

/**
 * The fetch used when a caller passes none: no private host allowed, the environment's proxy.
 * The running portal passes its own (with PRIVATE_FETCH_HOSTS) instead.
 */
export function defaultOutboundFetch(): OutboundFetch {
  strict ??= createOutboundFetch();
  return strict;
}

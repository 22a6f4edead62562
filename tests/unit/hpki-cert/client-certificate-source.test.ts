import type { IncomingMessage } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_CLIENT_CERTIFICATE_BYTES,
  clientCertificateErrorMessages,
  readClientCertificate,
  stripUntrustedCertificateHeaders,
  type ClientCertificateResult,
} from '../../../src/auth/methods/hpki-cert/client-certificate-source.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../../src/pki/test-pki/index.ts';
import { sequence } from '../../../src/pki/test-pki/der.ts';

let pki: HpkiTestPki;
let der: Uint8Array;
let pem: string;

beforeAll(async () => {
  pki = await createHpkiTestPki();
  der = pki.practitioners.valid.der;
  pem = pki.practitioners.valid.pem;
});

interface FakeRequestOptions {
  remoteAddress?: string;
  headers?: Record<string, string>;
  /** A TLS socket: what getPeerCertificate(false) returns. */
  tlsPeer?: { raw?: Buffer } | null;
}

/** The parts of IncomingMessage the source reads: headers, rawHeaders and the socket. */
function fakeRequest(options: FakeRequestOptions = {}): IncomingMessage {
  const headers: Record<string, string> = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value;
    rawHeaders.push(name, value);
  }
  const socket: Record<string, unknown> = { remoteAddress: options.remoteAddress ?? '192.0.2.10' };
  if (options.tlsPeer !== undefined) {
    socket.encrypted = true;
    socket.getPeerCertificate = () => options.tlsPeer;
  }
  return { headers, rawHeaders, socket } as unknown as IncomingMessage;
}

const PROXY = '10.0.0.5';
const trusted = { trustedProxies: [PROXY] };
const fromProxy = (headers: Record<string, string>) => fakeRequest({ remoteAddress: PROXY, headers });
const rfc9440 = (bytes: Uint8Array) => `:${Buffer.from(bytes).toString('base64')}:`;
const nginxEscaped = (text: string) => encodeURIComponent(text);
const base64Lines = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').match(/.{1,64}/g)!.join('\n');

function expectCertificate(result: ClientCertificateResult, expected: Uint8Array, source: 'tls' | 'proxy') {
  expect(result.kind).toBe('certificate');
  if (result.kind !== 'certificate') return;
  expect(result.source).toBe(source);
  expect(Buffer.from(result.der).equals(Buffer.from(expected))).toBe(true);
}

describe('RFC 9440 Client-Cert from a trusted proxy', () => {
  it('yields the DER of the practitioner certificate', () => {
    expectCertificate(readClientCertificate(fromProxy({ 'Client-Cert': rfc9440(der) }), trusted), der, 'proxy');
  });

  it('tolerates missing base64 padding (RFC 8941 §4.2.7) and surrounding spaces', () => {
    // A certificate whose length is not a multiple of 3 has padding to drop.
    const odd = sequence(new Uint8Array(5));
    const value = `  :${Buffer.from(odd).toString('base64').replace(/=+$/, '')}:  `;
    expect(Buffer.from(odd).toString('base64')).toMatch(/=$/);
    expectCertificate(readClientCertificate(fromProxy({ 'client-cert': value }), trusted), odd, 'proxy');
  });

  it.each([
    ['no colons', () => Buffer.from(der).toString('base64')],
    ['only a leading colon', () => `:${Buffer.from(der).toString('base64')}`],
    ['a character outside base64', () => `:${Buffer.from(der).toString('base64').slice(0, 40)}*${Buffer.from(der).toString('base64').slice(40)}:`],
    ['base64url instead of base64', () => `:${Buffer.from(der).toString('base64url')}-_:`],
    ['an impossible length', () => `:${Buffer.from(der).toString('base64').replace(/=+$/, '')}AAAAA:`],
    ['non-canonical trailing bits', () => ':MAIAAB==:'],
    ['base64 of something that is not DER', () => `:${Buffer.from('not a certificate at all').toString('base64')}:`],
    ['DER with trailing bytes', () => rfc9440(Buffer.concat([der, Buffer.from([0, 0])]))],
    ['two headers joined by the HTTP parser', () => `${rfc9440(der)}, ${rfc9440(der)}`],
    ['PEM instead of a byte sequence', () => pem.replace(/\n/g, ' ')],
    ['an empty byte sequence', () => '::'],
  ])('refuses %s as client_certificate_malformed', (_name, value) => {
    expect(readClientCertificate(fromProxy({ 'client-cert': value() }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_malformed' });
  });

  it('accepts the canonical form of the same bytes that the non-canonical case spells differently', () => {
    expectCertificate(readClientCertificate(fromProxy({ 'client-cert': ':MAIAAA==:' }), trusted), sequence(new Uint8Array(2)), 'proxy');
  });

  it('refuses a certificate over 16 KiB as client_certificate_too_large', () => {
    const big = sequence(new Uint8Array(MAX_CLIENT_CERTIFICATE_BYTES + 1));
    expect(readClientCertificate(fromProxy({ 'client-cert': rfc9440(big) }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_too_large' });
  });

  it('refuses a header too long to hold any acceptable certificate before decoding it', () => {
    expect(readClientCertificate(fromProxy({ 'client-cert': `:${'A'.repeat(200_000)}:` }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_too_large' });
  });

  it('accepts exactly 16 KiB', () => {
    // sequence() adds a 4-byte header: 16 KiB in total.
    const limit = sequence(new Uint8Array(MAX_CLIENT_CERTIFICATE_BYTES - 4));
    expect(limit.byteLength).toBe(MAX_CLIENT_CERTIFICATE_BYTES);
    expectCertificate(readClientCertificate(fromProxy({ 'client-cert': rfc9440(limit) }), trusted), limit, 'proxy');
  });
});

describe('nginx $ssl_client_escaped_cert (URL-encoded PEM) from a trusted proxy', () => {
  it('yields the DER from the default x-ssl-client-cert header', () => {
    expectCertificate(readClientCertificate(fromProxy({ 'X-SSL-Client-Cert': nginxEscaped(pem) }), trusted), der, 'proxy');
  });

  it('reads the header named in proxyHeader, and only that one', () => {
    const headers = { 'X-Client-Cert-Pem': nginxEscaped(pem) };
    expectCertificate(readClientCertificate(fromProxy(headers), { ...trusted, proxyHeader: 'X-Client-Cert-Pem' }), der, 'proxy');
    expect(readClientCertificate(fromProxy({ 'x-ssl-client-cert': nginxEscaped(pem) }), { ...trusted, proxyHeader: 'x-client-cert-pem' })).toEqual({ kind: 'none' });
  });

  it('accepts CRLF line breaks, Apache-style spaces and HAProxy-style bare base64 DER', () => {
    for (const value of [nginxEscaped(pem.replace(/\n/g, '\r\n')), pem.trim().replace(/\n/g, ' '), Buffer.from(der).toString('base64')]) {
      expectCertificate(readClientCertificate(fromProxy({ 'x-ssl-client-cert': value }), trusted), der, 'proxy');
    }
  });

  it('treats an empty value and "(null)" as no certificate', () => {
    expect(readClientCertificate(fromProxy({ 'x-ssl-client-cert': '' }), trusted)).toEqual({ kind: 'none' });
    expect(readClientCertificate(fromProxy({ 'x-ssl-client-cert': '(null)' }), trusted)).toEqual({ kind: 'none' });
  });

  it.each([
    ['two CERTIFICATE blocks', () => nginxEscaped(`${pem}${pki.authCa.pem}`)],
    ['a private key block', () => nginxEscaped(pem.replace(/CERTIFICATE/g, 'PRIVATE KEY'))],
    ['mismatched BEGIN and END labels', () => nginxEscaped(pem.replace('END CERTIFICATE', 'END X509 CRL'))],
    ['explanatory text before the block', () => nginxEscaped(`Subject: Taro Iryo\n${pem}`)],
    ['text after the block', () => nginxEscaped(`${pem}trailing`)],
    ['a BEGIN line without END', () => nginxEscaped(pem.replace(/-----END CERTIFICATE-----\n?$/, ''))],
    ['a broken percent escape', () => `${nginxEscaped(pem).slice(0, 30)}%G1${nginxEscaped(pem).slice(30)}`],
    ['a non-base64 character in the body', () => nginxEscaped(pem.replace(/\n(.)/, '\n!'))],
    ['missing padding inside PEM', () => nginxEscaped(`-----BEGIN CERTIFICATE-----\n${Buffer.from(sequence(new Uint8Array(5))).toString('base64').replace(/=+$/, '')}\n-----END CERTIFICATE-----\n`)],
    ['a PEM body that is not DER', () => nginxEscaped(`-----BEGIN CERTIFICATE-----\n${Buffer.from('hello world!').toString('base64')}\n-----END CERTIFICATE-----\n`)],
    ['bare base64 with a stray character', () => `${Buffer.from(der).toString('base64')}#`],
  ])('refuses %s as client_certificate_malformed', (_name, value) => {
    expect(readClientCertificate(fromProxy({ 'x-ssl-client-cert': value() }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_malformed' });
  });

  it('refuses an oversized certificate as client_certificate_too_large', () => {
    const big = sequence(new Uint8Array(20 * 1024));
    const bigPem = `-----BEGIN CERTIFICATE-----\n${base64Lines(big)}\n-----END CERTIFICATE-----\n`;
    expect(readClientCertificate(fromProxy({ 'x-ssl-client-cert': nginxEscaped(bigPem) }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_too_large' });
  });
});

describe('both headers from a trusted proxy', () => {
  it('accepts them when they carry the same certificate', () => {
    const headers = { 'client-cert': rfc9440(der), 'x-ssl-client-cert': nginxEscaped(pem) };
    expectCertificate(readClientCertificate(fromProxy(headers), trusted), der, 'proxy');
  });

  it('believes neither when they disagree', () => {
    const headers = { 'client-cert': rfc9440(der), 'x-ssl-client-cert': nginxEscaped(pki.practitioners.validEcdsa.pem) };
    expect(readClientCertificate(fromProxy(headers), trusted)).toEqual({ kind: 'error', code: 'client_certificate_malformed' });
  });

  it('reports the malformed one even when the other is fine', () => {
    const headers = { 'client-cert': rfc9440(der), 'x-ssl-client-cert': '%ZZ' };
    expect(readClientCertificate(fromProxy(headers), trusted)).toEqual({ kind: 'error', code: 'client_certificate_malformed' });
  });
});

describe('peer address', () => {
  it('normalises an IPv4-mapped IPv6 peer (::ffff:127.0.0.1) before comparing', () => {
    const req = fakeRequest({ remoteAddress: '::ffff:127.0.0.1', headers: { 'client-cert': rfc9440(der) } });
    expectCertificate(readClientCertificate(req, { trustedProxies: ['127.0.0.1'] }), der, 'proxy');
    expect(stripUntrustedCertificateHeaders(req, ['127.0.0.1'])).toBe(false);
    expect(req.headers['client-cert']).toBeDefined();
  });

  it('matches a configured IPv4-mapped address and IPv6 addresses in any case', () => {
    const mapped = fakeRequest({ remoteAddress: '10.0.0.5', headers: { 'client-cert': rfc9440(der) } });
    expectCertificate(readClientCertificate(mapped, { trustedProxies: ['::FFFF:10.0.0.5'] }), der, 'proxy');
    const v6 = fakeRequest({ remoteAddress: '2001:db8::1', headers: { 'client-cert': rfc9440(der) } });
    expectCertificate(readClientCertificate(v6, { trustedProxies: ['2001:DB8::1'] }), der, 'proxy');
  });

  it('does not treat a different address or a missing one as trusted', () => {
    const other = fakeRequest({ remoteAddress: '::ffff:127.0.0.2', headers: { 'client-cert': rfc9440(der) } });
    expect(readClientCertificate(other, { trustedProxies: ['127.0.0.1'] }).kind).toBe('error');
    const none = { headers: { 'client-cert': rfc9440(der) }, socket: {} } as unknown as IncomingMessage;
    expect(readClientCertificate(none, { trustedProxies: ['127.0.0.1'] })).toEqual({ kind: 'error', code: 'client_certificate_untrusted_proxy' });
  });
});

describe('headers from a peer that is not a trusted proxy', () => {
  const untrustedHeaders = () => ({ 'Client-Cert': rfc9440(der), 'Client-Cert-Chain': rfc9440(pki.authCa.der), 'X-SSL-Client-Cert': nginxEscaped(pem), Accept: '*/*' });

  it('are never decoded: without a TLS certificate the answer is client_certificate_untrusted_proxy', () => {
    const req = fakeRequest({ remoteAddress: '192.0.2.99', headers: untrustedHeaders() });
    expect(readClientCertificate(req, trusted)).toEqual({ kind: 'error', code: 'client_certificate_untrusted_proxy' });
  });

  it('do not hide the certificate of the TLS handshake', () => {
    const req = fakeRequest({ remoteAddress: '192.0.2.99', headers: untrustedHeaders(), tlsPeer: { raw: Buffer.from(pki.practitioners.validEcdsa.der) } });
    expectCertificate(readClientCertificate(req, trusted), pki.practitioners.validEcdsa.der, 'tls');
  });

  it('are stripped from headers and rawHeaders, and stripping says so', () => {
    const req = fakeRequest({ remoteAddress: '192.0.2.99', headers: untrustedHeaders() });
    expect(stripUntrustedCertificateHeaders(req, [PROXY])).toBe(true);
    expect(Object.keys(req.headers)).toEqual(['accept']);
    expect(req.rawHeaders).toEqual(['Accept', '*/*']);
    // Still explained after stripping, so the order of the two calls does not matter.
    expect(readClientCertificate(req, trusted)).toEqual({ kind: 'error', code: 'client_certificate_untrusted_proxy' });
    expect(stripUntrustedCertificateHeaders(req, [PROXY])).toBe(false);
  });

  it('strips the configured header name', () => {
    const req = fakeRequest({ remoteAddress: '192.0.2.99', headers: { 'X-Client-Cert-Pem': nginxEscaped(pem) } });
    expect(stripUntrustedCertificateHeaders(req, [PROXY], 'x-client-cert-pem')).toBe(true);
    expect(req.headers['x-client-cert-pem']).toBeUndefined();
  });

  it('leaves a request without certificate headers alone', () => {
    const req = fakeRequest({ remoteAddress: '192.0.2.99', headers: { Accept: '*/*' } });
    expect(stripUntrustedCertificateHeaders(req, [PROXY])).toBe(false);
    expect(readClientCertificate(req, trusted)).toEqual({ kind: 'none' });
  });

  it('are kept on a request from a trusted proxy', () => {
    const req = fromProxy(untrustedHeaders());
    expect(stripUntrustedCertificateHeaders(req, [PROXY])).toBe(false);
    expect(req.headers['client-cert']).toBe(rfc9440(der));
  });
});

describe('TLS handshake', () => {
  it('yields the certificate the client presented', () => {
    expectCertificate(readClientCertificate(fakeRequest({ tlsPeer: { raw: Buffer.from(der) } }), trusted), der, 'tls');
  });

  it('is none when the client presented no certificate or the socket is closed', () => {
    expect(readClientCertificate(fakeRequest({ tlsPeer: {} }), trusted)).toEqual({ kind: 'none' });
    expect(readClientCertificate(fakeRequest({ tlsPeer: null }), trusted)).toEqual({ kind: 'none' });
  });

  it('is none on a plain socket', () => {
    expect(readClientCertificate(fakeRequest(), trusted)).toEqual({ kind: 'none' });
  });

  it('refuses an oversized handshake certificate', () => {
    const big = Buffer.from(sequence(new Uint8Array(MAX_CLIENT_CERTIFICATE_BYTES)));
    expect(readClientCertificate(fakeRequest({ tlsPeer: { raw: big } }), trusted)).toEqual({ kind: 'error', code: 'client_certificate_too_large' });
  });

  it('from a trusted proxy: its header wins, and without one the handshake counts', () => {
    const tlsPeer = { raw: Buffer.from(pki.practitioners.validEcdsa.der) };
    const withHeader = fakeRequest({ remoteAddress: PROXY, tlsPeer, headers: { 'client-cert': rfc9440(der) } });
    expectCertificate(readClientCertificate(withHeader, trusted), der, 'proxy');
    const withoutHeader = fakeRequest({ remoteAddress: PROXY, tlsPeer });
    expectCertificate(readClientCertificate(withoutHeader, trusted), pki.practitioners.validEcdsa.der, 'tls');
  });

  it('from a trusted proxy with a malformed header: an error, not the handshake certificate', () => {
    const req = fakeRequest({ remoteAddress: PROXY, tlsPeer: { raw: Buffer.from(der) }, headers: { 'client-cert': ':@@:' } });
    expect(readClientCertificate(req, trusted)).toEqual({ kind: 'error', code: 'client_certificate_malformed' });
  });
});

describe('error messages', () => {
  it('has a Japanese and an English sentence for every code', () => {
    for (const code of ['client_certificate_malformed', 'client_certificate_untrusted_proxy', 'client_certificate_too_large'] as const) {
      expect(clientCertificateErrorMessages[code].ja).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(clientCertificateErrorMessages[code].en).toMatch(/^[A-Z].+\.$/);
    }
  });
});

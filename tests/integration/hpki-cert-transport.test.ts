import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClientCertificate, stripUntrustedCertificateHeaders } from '../../src/auth/methods/hpki-cert/client-certificate-source.ts';
import { startHttpsListener } from '../../src/http/https-listener.ts';
import { createDemoServerCertificate } from '../../src/demo/demo-server-certificate.ts';
import { createPkcs12 } from '../../src/demo/pkcs12-file.ts';
import { createHpkiTestPki, type HpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';

/**
 * The transport half of login with the HPKI authentication certificate, over real sockets: our
 * HTTPS listener asking for a client certificate, and a plain listener behind a (trusted or not)
 * reverse proxy that forwards the certificate in a header.
 */

interface Seen {
  stripped: boolean;
  kind: string;
  source?: string;
  code?: string;
  der?: string;
  certificateHeaders: string[];
}

const PROXY_HEADER = 'x-ssl-client-cert';

/** What the lead's login route will do, minus validation: strip, read, answer what was seen. */
function transportHandler(trustedProxies: string[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const stripped = stripUntrustedCertificateHeaders(req, trustedProxies, PROXY_HEADER);
    const result = readClientCertificate(req, { trustedProxies, proxyHeader: PROXY_HEADER });
    const body: Seen = {
      stripped,
      kind: result.kind,
      source: result.kind === 'certificate' ? result.source : undefined,
      code: result.kind === 'error' ? result.code : undefined,
      der: result.kind === 'certificate' ? Buffer.from(result.der).toString('base64') : undefined,
      certificateHeaders: Object.keys(req.headers).filter((h) => h === 'client-cert' || h === PROXY_HEADER),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
}

let pki: HpkiTestPki;
let serverCertificatePem: string;
let httpsServer: https.Server;
const plainServers: http.Server[] = [];

const keyPem = (issued: IssuedCertificate) => KeyObject.from(issued.keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
const portOf = (server: http.Server | https.Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  pki = await createHpkiTestPki();
  const demo = await createDemoServerCertificate(['localhost']);
  serverCertificatePem = demo.certificatePem;
  httpsServer = await startHttpsListener(transportHandler([]), {
    port: 0,
    host: '127.0.0.1',
    certificatePem: demo.certificatePem,
    privateKeyPem: demo.privateKeyPem,
  });
});

afterAll(async () => {
  for (const server of [httpsServer, ...plainServers]) {
    if (!server) continue;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** One HTTPS request on a fresh connection (no pooling across client certificates). */
function httpsGet(clientTls: https.RequestOptions = {}): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: portOf(httpsServer),
        path: '/interaction/x/hpki-cert',
        servername: 'localhost',
        // The client checks our demo server certificate for real: it names localhost.
        ca: serverCertificatePem,
        agent: false,
        ...clientTls,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as Seen);
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function startPlainServer(trustedProxies: string[]): Promise<number> {
  const server = http.createServer(transportHandler(trustedProxies));
  plainServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return portOf(server);
}

function httpGet(port: number, headers: Record<string, string>): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/interaction/x/hpki-cert', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(JSON.parse(text) as Seen));
    });
    req.on('error', reject);
    req.end();
  });
}

const base64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

describe('our HTTPS listener', () => {
  it('hands the handler exactly the DER of the practitioner certificate the client presented', async () => {
    const practitioner = pki.practitioners.valid;
    const seen = await httpsGet({ cert: practitioner.pem, key: keyPem(practitioner) });
    expect(seen).toMatchObject({ kind: 'certificate', source: 'tls', stripped: false });
    expect(seen.der).toBe(base64(practitioner.der));
  });

  it('does the same for an ECDSA practitioner key', async () => {
    const practitioner = pki.practitioners.validEcdsa;
    const seen = await httpsGet({ cert: practitioner.pem, key: keyPem(practitioner) });
    expect(seen.der).toBe(base64(practitioner.der));
  });

  it.each(['expired', 'untrustedIssuer', 'selfSigned', 'signing'] as const)(
    'lets a %s certificate through the handshake: refusing it is the application’s job',
    async (variant) => {
      const practitioner = pki.practitioners[variant];
      const seen = await httpsGet({ cert: practitioner.pem, key: keyPem(practitioner) });
      expect(seen).toMatchObject({ kind: 'certificate', source: 'tls' });
      expect(seen.der).toBe(base64(practitioner.der));
    },
  );

  it('answers none when the client has no certificate', async () => {
    expect(await httpsGet()).toMatchObject({ kind: 'none', stripped: false });
  });

  it('accepts a client that loaded the demo PKCS#12 file', async () => {
    const practitioner = pki.practitioners.valid;
    const pkcs8 = KeyObject.from(practitioner.keys.privateKey).export({ type: 'pkcs8', format: 'der' });
    const pfx = await createPkcs12(practitioner.der, pkcs8, [pki.authCa.der], 'demo-password');
    const seen = await httpsGet({ pfx: Buffer.from(pfx), passphrase: 'demo-password' });
    expect(seen.der).toBe(base64(practitioner.der));
  });

  it('ignores certificate headers sent straight to it and strips them', async () => {
    const seen = await httpsGet({ headers: { 'client-cert': `:${base64(pki.practitioners.valid.der)}:` } });
    expect(seen).toMatchObject({ kind: 'error', code: 'client_certificate_untrusted_proxy', stripped: true, certificateHeaders: [] });
  });

  it('refuses TLS 1.1 with a protocol_version alert, and speaks TLS 1.2', async () => {
    const legacyClient = { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
    // The alert comes from our server: the client did offer TLS 1.1.
    await expect(httpsGet({ ...legacyClient, maxVersion: 'TLSv1.1' })).rejects.toThrow(/alert protocol version/);
    expect(await httpsGet({ ...legacyClient, maxVersion: 'TLSv1.2' })).toMatchObject({ kind: 'none' });
  });
});

describe('behind a reverse proxy (plain HTTP)', () => {
  let trustedPort: number;
  let untrustedPort: number;
  beforeAll(async () => {
    trustedPort = await startPlainServer(['127.0.0.1']);
    untrustedPort = await startPlainServer(['192.0.2.1']);
  });

  it('from a trusted proxy address, reads the RFC 9440 Client-Cert header', async () => {
    const seen = await httpGet(trustedPort, { 'Client-Cert': `:${base64(pki.practitioners.valid.der)}:` });
    expect(seen).toMatchObject({ kind: 'certificate', source: 'proxy', stripped: false });
    expect(seen.der).toBe(base64(pki.practitioners.valid.der));
  });

  it('from a trusted proxy address, reads the nginx URL-encoded PEM header', async () => {
    const seen = await httpGet(trustedPort, { 'X-SSL-Client-Cert': encodeURIComponent(pki.practitioners.validEcdsa.pem) });
    expect(seen).toMatchObject({ kind: 'certificate', source: 'proxy' });
    expect(seen.der).toBe(base64(pki.practitioners.validEcdsa.der));
  });

  it('from a trusted proxy address, reports a malformed header', async () => {
    const seen = await httpGet(trustedPort, { 'Client-Cert': ':not*base64:' });
    expect(seen).toMatchObject({ kind: 'error', code: 'client_certificate_malformed' });
  });

  it('from a trusted proxy address without a header, answers none', async () => {
    expect(await httpGet(trustedPort, {})).toMatchObject({ kind: 'none', stripped: false });
  });

  it('from any other address, ignores and strips the same headers', async () => {
    const seen = await httpGet(untrustedPort, {
      'Client-Cert': `:${base64(pki.practitioners.valid.der)}:`,
      'X-SSL-Client-Cert': encodeURIComponent(pki.practitioners.valid.pem),
    });
    expect(seen).toMatchObject({ kind: 'error', code: 'client_certificate_untrusted_proxy', stripped: true, certificateHeaders: [] });
    expect(seen.der).toBeUndefined();
  });
});

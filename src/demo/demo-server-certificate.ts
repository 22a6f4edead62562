import { KeyObject, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { x509 } from '../pki/x509.ts';

/**
 * The demo's HTTPS listener, where no certificate is configured: a self-signed server certificate.
 * (The demo practitioner's client certificate for the browser is pkcs12-file.ts.)
 */

export interface DemoServerCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

const HOUR = 60 * 60 * 1000;
const DNS_NAME = /^(?=.{1,253}$)(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A self-signed ECDSA P-256 server certificate (serverAuth) for the given host names and
 * addresses; `localhost`, `127.0.0.1` and `::1` are always included. Valid for one year.
 * Browsers warn about it once; it is for the demo only.
 */
export async function createDemoServerCertificate(hostnames: string[]): Promise<DemoServerCertificate> {
  const names = [...new Set(['localhost', ...hostnames.map((h) => h.trim().toLowerCase()).filter(Boolean), '127.0.0.1', '::1'])];
  const sanEntries: x509.JsonGeneralName[] = names.map((name) => {
    if (isIP(name)) return { type: 'ip', value: name };
    if (!DNS_NAME.test(name)) throw new Error(`createDemoServerCertificate: "${name}" is neither a host name nor an IP address`);
    return { type: 'dns', value: name };
  });
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const commonName = names.find((n) => !isIP(n) && n !== 'localhost') ?? 'localhost';
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }, { O: ['HPKI SSO Portal demo'] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    // An hour back tolerates a client clock slightly behind the server's.
    notBefore: new Date(now - HOUR),
    notAfter: new Date(now + 365 * 24 * HOUR),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(sanEntries, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const privateKeyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certificatePem: certificate.toString('pem'), privateKeyPem };
}

import { createHash, createPrivateKey, KeyObject, webcrypto, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Attribute, AuthenticatedSafe, CertBag, CryptoEngine, PFX, PKCS8ShroudedKeyBag, PrivateKeyInfo, SafeBag, SafeContents, type ContentEncryptionAlgorithm } from 'pkijs';

/**
 * The demo practitioner's client certificate for the browser: a PKCS#12 file written by PKI.js
 * (pkijs), the password key derivations and the MAC included. (The demo's HTTPS server certificate
 * is demo-server-certificate.ts.)
 */

export interface Pkcs12Options {
  /** Shown by key stores next to the certificate, e.g. the practitioner's name. */
  friendlyName?: string;
  /** Iterations of the password-based key derivation and of the MAC key derivation. */
  iterations?: number;
}

const DEFAULT_ITERATIONS = 10_000;
const OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const OID_X509_CERTIFICATE = '1.2.840.113549.1.9.22.1';
const OID_CERT_BAG = '1.2.840.113549.1.12.10.1.3';
const OID_PKCS8_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';

const engine = new CryptoEngine({ name: 'node', crypto: webcrypto as unknown as Crypto });

/**
 * A password-protected PKCS#12 file (RFC 7292) holding one private key, its certificate and the
 * chain, in the layout and with the algorithms OpenSSL 3 writes: the certificates in a SafeContents
 * encrypted with PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC), the key in a shrouded key bag (the same),
 * both tied by localKeyId, and an HMAC-SHA-256 password MAC over the whole. Chromium (NSS), Firefox,
 * macOS and Windows 10 1709 and later import it. Passwords should be ASCII: key stores disagree on
 * how non-ASCII passwords are encoded.
 */
export async function createPkcs12(
  certificateDer: Uint8Array,
  privateKeyPkcs8: Uint8Array,
  chainDer: Uint8Array[],
  password: string,
  options: Pkcs12Options = {},
): Promise<Uint8Array> {
  if (password.length === 0) throw new Error('createPkcs12: a password is required');
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error('createPkcs12: iterations must be a positive integer');
  // Refuse here, with a clear message, what a key store would refuse later with an obscure one.
  const privateKey = importPrivateKey(privateKeyPkcs8);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificateDer);
  } catch {
    throw new Error('createPkcs12: the certificate is not DER X.509');
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new Error('createPkcs12: the private key does not belong to the certificate');

  const passwordBytes = new TextEncoder().encode(password).buffer as ArrayBuffer;
  // PKI.js draws each IV itself: the type asks for one all the same.
  const aes256Cbc = { name: 'AES-CBC', length: 256 } as ContentEncryptionAlgorithm;
  const pbes2 = { password: passwordBytes, contentEncryptionAlgorithm: aes256Cbc, hmacHashAlgorithm: 'SHA-256', iterationCount: iterations };
  const localKeyId = createHash('sha1').update(certificateDer).digest();
  const bagAttributes = [
    ...(options.friendlyName ? [new Attribute({ type: OID_FRIENDLY_NAME, values: [new asn1js.BmpString({ value: options.friendlyName })] })] : []),
    new Attribute({ type: OID_LOCAL_KEY_ID, values: [new asn1js.OctetString({ valueHex: localKeyId })] }),
  ];
  // The certificates go in as they are (a CertBag of the DER), never re-encoded.
  const certBag = (der: Uint8Array, attributes?: Attribute[]) =>
    new SafeBag({
      bagId: OID_CERT_BAG,
      bagValue: new CertBag({ certId: OID_X509_CERTIFICATE, certValue: new asn1js.OctetString({ valueHex: der }) }),
      ...(attributes ? { bagAttributes: attributes } : {}),
    });
  const shroudedKey = new PKCS8ShroudedKeyBag({ parsedValue: PrivateKeyInfo.fromBER(Uint8Array.from(privateKeyPkcs8)) });
  await shroudedKey.makeInternalValues(pbes2, engine);

  const authenticatedSafe = new AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        { privacyMode: 1, value: new SafeContents({ safeBags: [certBag(certificateDer, bagAttributes), ...chainDer.map((der) => certBag(der))] }) },
        { privacyMode: 0, value: new SafeContents({ safeBags: [new SafeBag({ bagId: OID_PKCS8_SHROUDED_KEY_BAG, bagValue: shroudedKey, bagAttributes })] }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [pbes2, {}] }, engine);
  const pfx = new PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues({ password: passwordBytes, iterations, pbkdf2HashAlgorithm: 'SHA-256', hmacHashAlgorithm: 'SHA-256' }, engine);
  return new Uint8Array(pfx.toSchema().toBER(false));
}

function importPrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('createPkcs12: the private key is not a DER PKCS#8 PrivateKeyInfo');
  }
}

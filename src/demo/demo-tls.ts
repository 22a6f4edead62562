import {
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  KeyObject,
  pbkdf2Sync,
  randomBytes,
  webcrypto,
  X509Certificate as NodeX509Certificate,
} from 'node:crypto';
import { isIP } from 'node:net';
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { ContentInfo, EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import {
  AuthenticatedSafe,
  CertBag,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
  MacData,
  PFX,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  SafeBag,
  SafeContents,
} from '@peculiar/asn1-pfx';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { x509 } from '../pki/x509.ts';

/**
 * TLS material for the demo, where no HTTPS certificate is configured: a self-signed server
 * certificate for the portal's own HTTPS listener, and PKCS#12 files so that a demo practitioner's
 * certificate and key can be imported into a browser or the operating system's key store.
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

// --- PKCS#12 (RFC 7292) -------------------------------------------------------------------------

export interface Pkcs12Options {
  /**
   * `modern` (default) is what OpenSSL 3 writes: PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC) for the
   * key and the certificates, HMAC-SHA-256 integrity. `legacy` uses pbeWithSHAAnd3-KeyTripleDES-CBC
   * and HMAC-SHA-1, for key stores that refuse the modern one (older macOS Keychain, Windows before
   * 10 1709).
   */
  profile?: 'modern' | 'legacy';
  /** Shown by key stores next to the certificate, e.g. the practitioner's name. */
  friendlyName?: string;
  /** Iterations of the password-based key derivation and of the MAC key derivation. */
  iterations?: number;
}

const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_HMAC_WITH_SHA256 = '1.2.840.113549.2.9';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';
const OID_PBE_SHA1_3DES = '1.2.840.113549.1.12.1.3';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_SHA1 = '1.3.14.3.2.26';
const OID_FRIENDLY_NAME = '1.2.840.113549.1.9.20';
const OID_LOCAL_KEY_ID = '1.2.840.113549.1.9.21';
const DEFAULT_ITERATIONS = 10_000;

/** RFC 8018 PBKDF2-params, with the salt always `specified` and the PRF always present. */
class Pbkdf2Params {
  @AsnProp({ type: AsnPropTypes.OctetString })
  salt: ArrayBuffer = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AlgorithmIdentifier })
  prf = new AlgorithmIdentifier();

  constructor(params: Partial<Pbkdf2Params> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 8018 PBES2-params. */
class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();

  constructor(params: Partial<Pbes2Params> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 7292 Appendix C pkcs-12PbeParams. */
class Pkcs12PbeParams {
  @AsnProp({ type: AsnPropTypes.OctetString })
  salt: ArrayBuffer = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer })
  iterations = 0;

  constructor(params: Partial<Pkcs12PbeParams> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 5652 §8 EncryptedData (not in @peculiar/asn1-cms); unprotectedAttrs are never written. */
class CmsEncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();

  constructor(params: Partial<CmsEncryptedData> = {}) {
    Object.assign(this, params);
  }
}

const der = (value: object): ArrayBuffer => AsnConvert.serialize(value);
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;

/** The PKCS#12 form of a password: BMPString (UTF-16BE) with a two-byte terminator (RFC 7292 B.1). */
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** RFC 7292 Appendix B.2: the PKCS#12 key derivation (ID 1 key, 2 IV, 3 MAC key). */
export function pkcs12DeriveKey(hash: 'sha1' | 'sha256', password: string, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Buffer {
  const u = hash === 'sha1' ? 20 : 32;
  const v = 64;
  const fill = (source: Uint8Array): Buffer => {
    const out = Buffer.alloc(source.length === 0 ? 0 : v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i++) out[i] = source[i % source.length]!;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(bmpPassword(password))]);
  const result: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let c = 1; c < iterations; c++) A = createHash(hash).update(A).digest();
    result.push(A);
    if (produced + u >= length) break;
    const B = fill(A);
    // I_j = (I_j + B + 1) mod 2^(8v), for every v-byte block of I.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, length);
}

interface Encrypted {
  algorithm: AlgorithmIdentifier;
  ciphertext: Buffer;
}

function encrypt(plaintext: Uint8Array, password: string, profile: 'modern' | 'legacy', iterations: number): Encrypted {
  const salt = randomBytes(profile === 'modern' ? 16 : 8);
  if (profile === 'legacy') {
    const key = pkcs12DeriveKey('sha1', password, salt, 1, iterations, 24);
    const iv = pkcs12DeriveKey('sha1', password, salt, 2, iterations, 8);
    const cipher = createCipheriv('des-ede3-cbc', key, iv);
    return {
      algorithm: new AlgorithmIdentifier({ algorithm: OID_PBE_SHA1_3DES, parameters: der(new Pkcs12PbeParams({ salt: toArrayBuffer(salt), iterations })) }),
      ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
    };
  }
  // PBES2 takes the password as UTF-8 octets, as OpenSSL does.
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const params = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID_PBKDF2,
      parameters: der(
        new Pbkdf2Params({ salt: toArrayBuffer(salt), iterationCount: iterations, prf: new AlgorithmIdentifier({ algorithm: OID_HMAC_WITH_SHA256, parameters: null }) }),
      ),
    }),
    encryptionScheme: new AlgorithmIdentifier({ algorithm: OID_AES256_CBC, parameters: der(new OctetString(toArrayBuffer(iv))) }),
  });
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: OID_PBES2, parameters: der(params) }),
    ciphertext: Buffer.concat([cipher.update(plaintext), cipher.final()]),
  };
}

function bmpString(value: string): ArrayBuffer {
  const content = Buffer.alloc(value.length * 2);
  for (let i = 0; i < value.length; i++) content.writeUInt16BE(value.charCodeAt(i), i * 2);
  if (content.length > 0xffff) throw new Error('friendlyName is too long');
  const header = content.length < 0x80 ? [0x1e, content.length] : content.length < 0x100 ? [0x1e, 0x81, content.length] : [0x1e, 0x82, content.length >> 8, content.length & 0xff];
  return toArrayBuffer(Buffer.concat([Buffer.from(header), content]));
}

/** PKCS12Attribute's constructor (asn1-pfx 2.11.1) drops its parameters, so they are assigned here. */
function attribute(attrId: string, value: ArrayBuffer): PKCS12Attribute {
  return Object.assign(new PKCS12Attribute(), { attrId, attrValues: [value] });
}

function bagAttributes(localKeyId: Buffer, friendlyName: string | undefined): PKCS12Attribute[] {
  const attributes = [attribute(OID_LOCAL_KEY_ID, der(new OctetString(toArrayBuffer(localKeyId))))];
  if (friendlyName) attributes.unshift(attribute(OID_FRIENDLY_NAME, bmpString(friendlyName)));
  return attributes;
}

/**
 * A password-protected PKCS#12 file (RFC 7292) holding one private key, its certificate and the
 * chain, in the layout OpenSSL writes: an encrypted SafeContents with the certificates, a
 * SafeContents with the shrouded key, both tied by localKeyId, and a password MAC over the whole.
 * Built with @peculiar/asn1-pfx and node:crypto; no external program. Passwords should be ASCII:
 * key stores disagree on how non-ASCII passwords are encoded.
 */
export function createPkcs12(
  certificateDer: Uint8Array,
  privateKeyPkcs8: Uint8Array,
  chainDer: Uint8Array[],
  password: string,
  options: Pkcs12Options = {},
): Uint8Array {
  if (password.length === 0) throw new Error('createPkcs12: a password is required');
  const profile = options.profile ?? 'modern';
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error('createPkcs12: iterations must be a positive integer');
  // Refuse here, with a clear message, what a key store would refuse later with an obscure one.
  const privateKey = importPrivateKey(privateKeyPkcs8);
  let certificate: NodeX509Certificate;
  try {
    certificate = new NodeX509Certificate(certificateDer);
  } catch {
    throw new Error('createPkcs12: the certificate is not DER X.509');
  }
  if (!certificate.checkPrivateKey(privateKey)) throw new Error('createPkcs12: the private key does not belong to the certificate');

  const localKeyId = createHash('sha1').update(certificateDer).digest();
  const certBag = (certDer: Uint8Array, attributes?: PKCS12Attribute[]) =>
    new SafeBag({
      bagId: id_certBag,
      bagValue: der(new CertBag({ certId: id_x509Certificate, certValue: der(new OctetString(toArrayBuffer(certDer))) })),
      bagAttributes: attributes,
    });
  const certificates = new SafeContents([certBag(certificateDer, bagAttributes(localKeyId, options.friendlyName)), ...chainDer.map((c) => certBag(c))]);
  const encryptedCertificates = encrypt(new Uint8Array(der(certificates)), password, profile, iterations);
  const certificatesInfo = new ContentInfo({
    contentType: id_encryptedData,
    content: der(
      new CmsEncryptedData({
        encryptedContentInfo: new EncryptedContentInfo({
          contentType: id_data,
          contentEncryptionAlgorithm: encryptedCertificates.algorithm,
          encryptedContent: new EncryptedContent({ value: new OctetString(toArrayBuffer(encryptedCertificates.ciphertext)) }),
        }),
      }),
    ),
  });

  const encryptedKey = encrypt(privateKeyPkcs8, password, profile, iterations);
  const shroudedKey = new PKCS8ShroudedKeyBag({
    encryptionAlgorithm: encryptedKey.algorithm,
    encryptedData: new OctetString(toArrayBuffer(encryptedKey.ciphertext)),
  });
  const keyContents = new SafeContents([
    new SafeBag({ bagId: id_pkcs8ShroudedKeyBag, bagValue: der(shroudedKey), bagAttributes: bagAttributes(localKeyId, options.friendlyName) }),
  ]);
  const keyInfo = new ContentInfo({ contentType: id_data, content: der(new OctetString(der(keyContents))) });

  const authenticatedSafe = Buffer.from(der(new AuthenticatedSafe([certificatesInfo, keyInfo])));
  const hash = profile === 'modern' ? 'sha256' : 'sha1';
  const macSalt = randomBytes(profile === 'modern' ? 16 : 8);
  const macKey = pkcs12DeriveKey(hash, password, macSalt, 3, iterations, hash === 'sha256' ? 32 : 20);
  const mac = createHmac(hash, macKey).update(authenticatedSafe).digest();

  const pfx = new PFX({
    version: 3,
    authSafe: new ContentInfo({ contentType: id_data, content: der(new OctetString(toArrayBuffer(authenticatedSafe))) }),
    macData: new MacData({
      mac: new DigestInfo({
        digestAlgorithm: new AlgorithmIdentifier({ algorithm: hash === 'sha256' ? OID_SHA256 : OID_SHA1, parameters: null }),
        digest: new OctetString(toArrayBuffer(mac)),
      }),
      macSalt: new OctetString(toArrayBuffer(macSalt)),
      iterations,
    }),
  });
  return new Uint8Array(der(pfx));
}

function importPrivateKey(pkcs8: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('createPkcs12: the private key is not a DER PKCS#8 PrivateKeyInfo');
  }
}

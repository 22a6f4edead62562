/**
 * The crypto ceiling: raw node:crypto operations/s, one thread, for exactly the signatures and
 * verifications one login, one refresh grant and one signHash need, on the same kinds of keys and
 * inputs the portal handles (test HPKI hierarchy, RSA-2048 everywhere, ES256 DPoP key).
 * A flow's ceiling is 1 / Σ(1 / rate of each operation it needs).
 * Prints one JSON line `RESULT {…}`.
 */
import crypto from 'node:crypto';
import { createHpkiTestPki } from '../src/pki/test-pki/index.ts';

const pki = await createHpkiTestPki();
const card = pki.practitioners.valid;
const nodeKey = async (k: CryptoKey) =>
  crypto.createPrivateKey({ key: Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', k)), format: 'der', type: 'pkcs8' });

const leaf = new crypto.X509Certificate(card.der);
const authCa = new crypto.X509Certificate(pki.authCa.der);
const root = new crypto.X509Certificate(pki.root.der);
const cardKey = await nodeKey(card.keys.privateKey);
const cardData = Buffer.concat([crypto.createHash('sha256').update('http://127.0.0.1:3000').digest(), crypto.randomBytes(32)]);
const cardSignature = crypto.sign('sha256', cardData, cardKey);

const { privateKey: idTokenKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
// A typical ID token signing input of this portal (header + claims with hcRole, names, hpki), ~900 bytes.
const idTokenInput = Buffer.from(`${'x'.repeat(60)}.${'y'.repeat(840)}`);
const verifier = crypto.randomBytes(32).toString('base64url');

const { privateKey: dpopKey, publicKey: dpopPublic } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dpopInput = Buffer.from(`${'h'.repeat(180)}.${'p'.repeat(230)}`);
const dpopSignature = crypto.sign('sha256', dpopInput, { key: dpopKey, dsaEncoding: 'ieee-p1363' });
const { privateKey: secondKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), crypto.randomBytes(32)]);
const secondPkcs8 = secondKey.export({ format: 'der', type: 'pkcs8' });
const aesKey = crypto.randomBytes(32);
const iv = crypto.randomBytes(12);
const cipher = crypto.createCipheriv('aes-256-gcm', aesKey, iv);
const sealed = Buffer.concat([cipher.update(secondPkcs8), cipher.final()]);
const tag = cipher.getAuthTag();

function rate(name: string, op: () => unknown, ms = 700): { name: string; perSecond: number; microsEach: number } {
  for (let i = 0; i < 50; i++) op();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms && n < 5_000_000) {
    for (let i = 0; i < 10; i++) op();
    n += 10;
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  return { name, perSecond: n / seconds, microsEach: (seconds * 1e6) / n };
}

/** ES256 ID tokens: the default for services registered now (the bench RP is one). */
const idTokenEcKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

const ops = {
  cardSignatureVerify: rate('card signature verify (RSA-2048 PKCS#1 v1.5, SHA-256, web-eid:1)', () => {
    if (!crypto.verify('sha256', cardData, leaf.publicKey, cardSignature)) throw new Error('card');
  }),
  leafCertificateVerify: rate('leaf certificate signature verify (auth CA, RSA-2048)', () => {
    if (!leaf.verify(authCa.publicKey)) throw new Error('leaf');
  }),
  caCertificateVerify: rate('auth CA certificate signature verify (root, RSA-2048)', () => {
    if (!authCa.verify(root.publicKey)) throw new Error('ca');
  }),
  idTokenSign: rate('ID token RS256 sign (RSA-2048)', () => crypto.sign('sha256', idTokenInput, idTokenKey)),
  idTokenSignEs256: rate('ID token ES256 sign (P-256; new services, and the bench RP)', () => crypto.sign('sha256', idTokenInput, { key: idTokenEcKey, dsaEncoding: 'ieee-p1363' })),
  pkceHash: rate('PKCE S256 hash of the code_verifier', () => crypto.createHash('sha256').update(verifier).digest('base64url')),
  dpopVerify: rate('DPoP proof ES256 verify (P-256)', () => {
    if (!crypto.verify('sha256', dpopInput, { key: dpopPublic, dsaEncoding: 'ieee-p1363' }, dpopSignature)) throw new Error('dpop');
  }),
  secondCertificateSign: rate('second-certificate RSA-2048 signature (PKCS#1 v1.5 over DigestInfo)', () =>
    crypto.privateEncrypt({ key: secondKey, padding: crypto.constants.RSA_PKCS1_PADDING }, digestInfo),
  ),
  // Not signatures, but also per signHash in the software key store: reported, not in the ceiling.
  keyUnseal: rate('AES-256-GCM unseal of the PKCS#8 key (software key store)', () => {
    const d = crypto.createDecipheriv('aes-256-gcm', aesKey, iv);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(sealed), d.final()]);
  }),
  keyImport: rate('PKCS#8 RSA-2048 private key import (createPrivateKey)', () => crypto.createPrivateKey({ key: secondPkcs8, format: 'der', type: 'pkcs8' })),
};

const ceiling = (names: (keyof typeof ops)[]) => 1 / names.reduce((sum, n) => sum + 1 / ops[n].perSecond, 0);
// The CA-by-root signature is verified once per trust store (validate-chain.ts), like the CRL's: it is
// measured and shown, but not part of a login's own cryptography.
// The bench RP has ES256 ID tokens (as every service registered now); RS256 is shown beside it.
const login: (keyof typeof ops)[] = ['cardSignatureVerify', 'leafCertificateVerify', 'idTokenSignEs256', 'pkceHash'];
const refresh: (keyof typeof ops)[] = ['idTokenSignEs256'];
const loginRs256: (keyof typeof ops)[] = ['cardSignatureVerify', 'leafCertificateVerify', 'idTokenSign', 'pkceHash'];
const refreshRs256: (keyof typeof ops)[] = ['idTokenSign'];
const signHash: (keyof typeof ops)[] = ['dpopVerify', 'secondCertificateSign'];
process.stdout.write(
  `RESULT ${JSON.stringify({
    ops,
    flows: {
      login: { operations: login, perSecond: ceiling(login) },
      refresh: { operations: refresh, perSecond: ceiling(refresh) },
      loginRs256: { operations: loginRs256, perSecond: ceiling(loginRs256) },
      refreshRs256: { operations: refreshRs256, perSecond: ceiling(refreshRs256) },
      signHash: { operations: signHash, perSecond: ceiling(signHash) },
      signHashWithKeyHandling: { operations: [...signHash, 'keyUnseal', 'keyImport'], perSecond: ceiling([...signHash, 'keyUnseal', 'keyImport']) },
    },
  })}\n`,
);

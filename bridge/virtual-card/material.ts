/**
 * Keys and certificates for the virtual cards, from the project's test PKI (src/pki/test-pki/):
 * an HPKI authentication certificate of a test doctor (MEDIS TEST auth CA) and a JPKI
 * user-authentication certificate (JPKI-TEST root). Written once under `.data/bridge/` with the CA
 * certificates beside them (import those as trust anchors to log in with the virtual card).
 *
 * When the demo has made its PKI (`.data/demo-pki/demo-pki.json`, or DEMO_PKI_DIR), the CLI uses the
 * demo's holders instead — the doctor 神楽坂 三十四 (RSA) and the demo My Number Card — so the
 * virtual card logs in to a running demo (`npm run dev`) without importing anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { createHpkiTestPki, createJpkiTestPki, type IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import type { CardMaterial } from './vpcd-card.ts';

export const BRIDGE_DATA_DIR = path.resolve('.data/bridge');

export async function materialOf(issued: IssuedCertificate): Promise<CardMaterial> {
  const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', issued.keys.privateKey);
  return { certificateDer: issued.der, privateKeyPkcs8: new Uint8Array(pkcs8) };
}

interface Stored {
  certificateDer: string;
  privateKeyPkcs8: string;
  caCertificates: string[];
}

/** The demo's holder for this card type, when the demo PKI exists. */
export function demoMaterial(card: 'hpki' | 'jpki', dir = path.resolve(process.env.DEMO_PKI_DIR ?? '.data/demo-pki')): (CardMaterial & { file: string }) | null {
  const file = path.join(dir, 'demo-pki.json');
  if (!fs.existsSync(file)) return null;
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, { pem: string; pkcs8: string; algorithm: string } | undefined>;
  const entry = card === 'hpki' ? stored.doctor : stored.myNumberCard;
  if (!entry || entry.algorithm !== 'rsa-2048') return null;
  return { certificateDer: new crypto.X509Certificate(entry.pem).raw, privateKeyPkcs8: Buffer.from(entry.pkcs8, 'base64'), file: `${file} (${card === 'hpki' ? 'doctor' : 'myNumberCard'})` };
}

/** The card's material: `.data/bridge/<card>-card.json`, made from the test PKI when absent. */
export async function loadOrCreateMaterial(card: 'hpki' | 'jpki', dir = BRIDGE_DATA_DIR): Promise<CardMaterial & { file: string; created: boolean }> {
  const file = path.join(dir, `${card}-card.json`);
  if (fs.existsSync(file)) {
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Stored;
    return { certificateDer: Buffer.from(stored.certificateDer, 'base64'), privateKeyPkcs8: Buffer.from(stored.privateKeyPkcs8, 'base64'), file, created: false };
  }
  let issued: IssuedCertificate;
  let cas: IssuedCertificate[];
  if (card === 'hpki') {
    const pki = await createHpkiTestPki();
    issued = pki.practitioners.valid;
    cas = [pki.root, pki.authCa];
  } else {
    const pki = await createJpkiTestPki();
    issued = pki.cards.valid;
    cas = [pki.root];
  }
  const material = await materialOf(issued);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stored: Stored = {
    certificateDer: Buffer.from(material.certificateDer).toString('base64'),
    privateKeyPkcs8: Buffer.from(material.privateKeyPkcs8).toString('base64'),
    caCertificates: cas.map((c) => Buffer.from(c.der).toString('base64')),
  };
  fs.writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  for (const [i, ca] of cas.entries()) fs.writeFileSync(path.join(dir, `${card}-ca-${i}.pem`), ca.pem);
  return { ...material, file, created: true };
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createDemoServerCertificate } from './demo-server-certificate.ts';
import { createPkcs12 } from './pkcs12-file.ts';
import type { DemoPki } from './demo-pki.ts';

/** The demo HTTPS listener's self-signed certificate, kept so the browser warning is accepted once. */
export async function loadOrCreateDemoServerCertificate(dir: string, hostname: string) {
  const file = path.join(dir, 'tls-server.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as { certificatePem: string; privateKeyPem: string };
  const made = await createDemoServerCertificate([hostname]);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(made), { mode: 0o600 });
  return made;
}

export const DEMO_PKCS12_PASSWORD = 'demo-hpki';

/** The demo doctor's card as a PKCS#12 file, to import into a browser for the TLS login (demo only). */
export async function writeDemoClientCertificate(dir: string, pki: DemoPki): Promise<string> {
  const file = path.join(dir, 'demo-doctor-client-certificate.p12');
  if (fs.existsSync(file)) return file;
  const card = pki.cards.find((c) => c.holder === 'doctor')!;
  const pkcs8 = new Uint8Array(await crypto.webcrypto.subtle.exportKey('pkcs8', card.certificate.keys.privateKey));
  const p12 = await createPkcs12(card.certificate.der, pkcs8, [pki.authCa.der, pki.root.der], DEMO_PKCS12_PASSWORD, { friendlyName: 'HPKI demo doctor' });
  fs.writeFileSync(file, p12, { mode: 0o600 });
  return file;
}

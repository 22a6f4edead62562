/**
 * The extension's fixed id. Chromium derives an extension's id from the public key in the
 * manifest's `key` field: the first 128 bits of SHA-256 over the DER SubjectPublicKeyInfo, written
 * in hex with the digits 0–f mapped to the letters a–p. The key pair was generated once (RSA 2048);
 * only the public key is committed (manifest.json `key`) — the private key was not kept, since an
 * unpacked or policy-installed extension needs none (a Chrome Web Store item gets the store's own id:
 * install with `--extension-id`). Firefox uses the gecko id below instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const EXTENSION_DIR = path.dirname(new URL(import.meta.url).pathname);
export const FIREFOX_EXTENSION_ID = 'card-bridge@hpki-sso.jp';

export function extensionIdFromKey(publicKeyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').slice(0, 32);
  return [...digest].map((hex) => String.fromCharCode(97 + parseInt(hex, 16))).join('');
}

export function sourceManifest(): { key: string; version: string } & Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(EXTENSION_DIR, 'manifest.json'), 'utf8'));
}

/** The Chromium extension id of this source tree (`elkdaedinmpdkimfnecgpcekabicolgo`). */
export function chromiumExtensionId(): string {
  return extensionIdFromKey(sourceManifest().key);
}

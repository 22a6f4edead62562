import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The root secret of an installation: it encrypts private keys at rest (AES-256-GCM) and, through
 * HKDF with distinct labels, yields the cookie-signing keys and the pairwise-subject salt. It is
 * never stored in the database: it comes from KEY_ENCRYPTION_KEY, or for the embedded default from
 * a key file created on first start (mode 0600, outside the database folder).
 */
export class KeyEncryptionKey {
  private constructor(private readonly key: Buffer) {}

  static fromSecret(secret: string): KeyEncryptionKey {
    const key = Buffer.from(secret.trim(), secret.includes('-') || secret.includes('_') ? 'base64url' : 'base64');
    if (key.length !== 32) throw new Error('KEY_ENCRYPTION_KEY must be 32 bytes in base64 or base64url (openssl rand -base64 32)');
    return new KeyEncryptionKey(key);
  }

  static loadOrCreateFile(file: string): { kek: KeyEncryptionKey; created: boolean } {
    if (fs.existsSync(file)) return { kek: KeyEncryptionKey.fromSecret(fs.readFileSync(file, 'utf8')), created: false };
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const secret = crypto.randomBytes(32).toString('base64url');
    // 'wx' fails if another instance created it first; then that one's key is used.
    try {
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return { kek: KeyEncryptionKey.fromSecret(fs.readFileSync(file, 'utf8')), created: false };
    }
    return { kek: KeyEncryptionKey.fromSecret(secret), created: true };
  }

  /** `v1.<iv>.<ciphertext>.<tag>` (base64url); `context` is bound as associated data. */
  encrypt(plaintext: string, context: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(sealed: string, context: string): string {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error('Sealed value has an unknown format');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Cannot decrypt: the key-encryption key is not the one these keys were stored with');
    }
  }

  /** A purpose-bound secret derived with HKDF-SHA256. */
  derive(label: string, length = 32): Buffer {
    return Buffer.from(crypto.hkdfSync('sha256', this.key, Buffer.alloc(0), `hpki-sso:${label}`, length));
  }
}

export function loadKeyEncryptionKey(options: { secret?: string; file: string }): { kek: KeyEncryptionKey; source: string } {
  if (options.secret) return { kek: KeyEncryptionKey.fromSecret(options.secret), source: 'KEY_ENCRYPTION_KEY' };
  const { kek, created } = KeyEncryptionKey.loadOrCreateFile(options.file);
  return { kek, source: `${created ? 'new key file' : 'key file'} ${options.file}` };
}

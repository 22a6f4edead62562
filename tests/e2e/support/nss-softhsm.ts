/**
 * A browser "terminal" with an HPKI card for Debian's Chromium: a SoftHSM2 token plays the card,
 * loaded as a PKCS#11 module into a fresh NSS database (`sql:$HOME/.pki/nssdb`, where Chromium on
 * Linux looks for client certificates, modules and locally trusted roots), and the Chromium policy
 * AutoSelectCertificateForUrls picks the card's certificate without the selector dialog that
 * headless Chromium cannot show.
 *
 * Needs Debian's softhsm2 (softhsm2-util, libsofthsm2.so) and libnss3-tools (certutil, modutil),
 * the pkcs11js addon, and root for the policy file (Chromium reads policies on Linux only from
 * /etc/chromium/policies/managed). Anything missing is an error that says so, never a skip.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CardWriteRequest } from './softhsm-card-writer.ts';
import { installChromiumPolicy, type InstalledPolicy } from './chromium-policy.ts';

export type { InstalledPolicy };

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');

const SOFTHSM_MODULES = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'];

async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The SoftHSM2 library, after checking every tool this file uses; throws one error naming what is
 * missing and the Debian packages that provide it.
 */
export async function requireCardTools(): Promise<string> {
  const missing: string[] = [];
  for (const [command, pkg] of [['softhsm2-util', 'softhsm2'], ['certutil', 'libnss3-tools'], ['modutil', 'libnss3-tools']] as const) {
    if (!(await onPath(command))) missing.push(`${command} (apt-get install ${pkg})`);
  }
  const module = SOFTHSM_MODULES.find((m) => fs.existsSync(m));
  if (!module) missing.push('libsofthsm2.so (apt-get install softhsm2)');
  try {
    createRequire(import.meta.url)('pkcs11js');
  } catch {
    missing.push('the pkcs11js addon (npm install must build it)');
  }
  if (missing.length) throw new Error(`the HPKI certificate browser test needs: ${missing.join(', ')}`);
  return module!;
}

export interface CardMaterial {
  certificateDer: Uint8Array;
  privateKeyPkcs8: Uint8Array;
  /** CKA_LABEL of the objects on the token. */
  label: string;
}

export interface BrowserHome {
  /** HOME of the Chromium process; the NSS database is `sql:<home>/.pki/nssdb`. */
  home: string;
  nssDb: string;
  softhsmConf: string;
  tokenLabel: string;
  /** HOME and SOFTHSM2_CONF for the Chromium process (and the NSS tools). */
  env: Record<string, string>;
  /** `certutil -L -h all`: every certificate NSS sees, with its trust ("u,u,u": a key is there). */
  listCertificates(): Promise<string>;
  /** `certutil -K` of NSS's own software token: keys that are not on the card (there should be none). */
  softwareTokenKeys(): Promise<string[]>;
}

/**
 * Makes `<dir>/home/.pki/nssdb` with the SoftHSM2 module loaded, a token of its own under
 * `<dir>/softhsm` holding `card` (or nothing: a reader with an empty card), and `trustedCaPem` as
 * locally trusted roots for TLS servers ("C,,", as mkcert does).
 */
export async function createBrowserHome(
  dir: string,
  options: { module: string; tokenLabel: string; card?: CardMaterial; trustedCaPem?: string[] },
): Promise<BrowserHome> {
  const home = path.join(dir, 'home');
  const nssDb = path.join(home, '.pki', 'nssdb');
  const softhsmDir = path.join(dir, 'softhsm');
  const softhsmConf = path.join(softhsmDir, 'softhsm2.conf');
  fs.mkdirSync(nssDb, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(softhsmDir, 'tokens'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(softhsmConf, `directories.tokendir = ${softhsmDir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { HOME: home, SOFTHSM2_CONF: softhsmConf };
  const toolEnv = { ...process.env, ...env };
  const pin = crypto.randomBytes(6).toString('hex');
  const pinFile = path.join(dir, 'pin');
  fs.writeFileSync(pinFile, `${pin}\n`, { mode: 0o600 });

  await run('softhsm2-util', ['--init-token', '--free', '--label', options.tokenLabel, '--pin', pin, '--so-pin', crypto.randomBytes(6).toString('hex')], { env: toolEnv });
  if (options.card) {
    const request: CardWriteRequest = {
      module: options.module,
      tokenLabel: options.tokenLabel,
      pin,
      label: options.card.label,
      certificateDerBase64: Buffer.from(options.card.certificateDer).toString('base64'),
      privateKeyPkcs8Base64: Buffer.from(options.card.privateKeyPkcs8).toString('base64'),
    };
    const requestFile = path.join(dir, 'card-request.json');
    fs.writeFileSync(requestFile, JSON.stringify(request), { mode: 0o600 });
    try {
      await run(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'softhsm-card-writer.ts'), requestFile], { cwd: root, env: toolEnv });
    } finally {
      fs.rmSync(requestFile, { force: true });
    }
  }

  const db = `sql:${nssDb}`;
  await run('certutil', ['-N', '-d', db, '--empty-password'], { env: toolEnv });
  // FRIENDLY: the token's certificates are readable without login, so NSS never asks for the PIN
  // (headless Chromium has no dialog for it). -force: no "close your browser" question.
  await run('modutil', ['-force', '-dbdir', db, '-add', `SoftHSM2 ${options.tokenLabel}`, '-libfile', options.module, '-mechanisms', 'FRIENDLY'], { env: toolEnv });
  for (const [i, pem] of (options.trustedCaPem ?? []).entries()) {
    const file = path.join(dir, `trusted-ca-${i}.pem`);
    fs.writeFileSync(file, pem);
    await run('certutil', ['-A', '-d', db, '-n', `test TLS server CA ${i}`, '-t', 'C,,', '-i', file], { env: toolEnv });
  }

  return {
    home,
    nssDb,
    softhsmConf,
    tokenLabel: options.tokenLabel,
    env,
    async listCertificates() {
      const { stdout } = await run('certutil', ['-L', '-d', db, '-h', 'all'], { env: toolEnv });
      return stdout;
    },
    async softwareTokenKeys() {
      try {
        const { stdout } = await run('certutil', ['-K', '-d', db], { env: toolEnv });
        return stdout.split('\n').filter((line) => /^<\s*\d+>/.test(line));
      } catch (error) {
        // certutil exits 255 and prints "no keys found" (on stdout) for an empty token.
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        if (/no keys found/.test(`${stdout}${stderr}`)) return [];
        throw error;
      }
    },
  };
}

export interface CertificateFilter {
  ISSUER?: Record<string, string>;
  SUBJECT?: Record<string, string>;
}

/**
 * AutoSelectCertificateForUrls for these origins (tests/e2e/support/chromium-policy.ts); the
 * HPKI certificate browser test selects the client certificate through it.
 */
export function installAutoSelectCertificatePolicy(name: string, entries: { pattern: string; filter: CertificateFilter }[]): InstalledPolicy {
  return installChromiumPolicy(name, { AutoSelectCertificateForUrls: entries.map((e) => JSON.stringify(e)) }, 'the HPKI certificate browser test selects the client certificate through AutoSelectCertificateForUrls');
}

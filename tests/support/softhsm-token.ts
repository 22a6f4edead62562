import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(import.meta.dirname, '../../scripts/softhsm-init.sh');

export interface SoftHsmToken {
  dir: string;
  /** SOFTHSM2_CONF, PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN as the script printed them. */
  env: Record<'SOFTHSM2_CONF' | 'PKCS11_MODULE' | 'PKCS11_TOKEN_LABEL' | 'PKCS11_PIN', string>;
  remove(): void;
}

/**
 * A SoftHSM2 token directory of its own (scripts/softhsm-init.sh). Tests that need it fail — not
 * skip — where SoftHSM2 is missing: CI installs it, so a missing package is a broken machine.
 * Set SOFTHSM2_CONF before the library is first loaded in the process: SoftHSM reads it once.
 */
export function createSoftHsmToken(options: { dir?: string; label?: string; pin?: string; soPin?: string } = {}): SoftHsmToken {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-softhsm-'));
  let output: string;
  try {
    output = execFileSync('bash', [script, dir, options.label ?? 'hpki-sso-test', options.pin ?? '1234', options.soPin ?? '5678'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    const status = (error as { status?: number }).status;
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      status === 3
        ? `SoftHSM2 is not installed, so the PKCS#11 key store cannot be tested: apt-get install softhsm2 (.ci/run installs it). ${stderr}`
        : `scripts/softhsm-init.sh failed (${status === null || status === undefined ? (error as Error).message : `exit ${status}`}): ${stderr}`,
    );
  }
  const env = Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  ) as SoftHsmToken['env'];
  return { dir, env, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

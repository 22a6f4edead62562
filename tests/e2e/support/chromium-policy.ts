import fs from 'node:fs';
import path from 'node:path';

/** Where Debian's Chromium reads mandatory policies (the only place on Linux). */
export const CHROMIUM_POLICY_DIR = '/etc/chromium/policies/managed';

export interface InstalledPolicy {
  file: string;
  remove(): void;
}

/**
 * Writes `/etc/chromium/policies/managed/<name>.json`; Chromium reads it when it starts. Needs root
 * (or a writable policy folder): without it this throws, the test fails and says why (`purpose`).
 * `remove()` deletes the file and the folders it made.
 */
export function installChromiumPolicy(name: string, policy: Record<string, unknown>, purpose: string): InstalledPolicy {
  const file = path.join(CHROMIUM_POLICY_DIR, `${name}.json`);
  const created: string[] = [];
  for (let d = CHROMIUM_POLICY_DIR; !fs.existsSync(d); d = path.dirname(d)) created.unshift(d);
  try {
    for (const d of created) fs.mkdirSync(d, { mode: 0o755 });
    fs.writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`, { mode: 0o644 });
  } catch (error) {
    throw new Error(
      `cannot write the Chromium policy ${file} (${(error as NodeJS.ErrnoException).code ?? error}): ${purpose}, ` +
        'which Chromium on Linux reads only from /etc/chromium/policies/managed — run it as root (CI does)',
    );
  }
  return {
    file,
    remove() {
      fs.rmSync(file, { force: true });
      for (const d of created.reverse()) {
        try {
          fs.rmdirSync(d);
        } catch {
          // not empty: someone else's policies live there now
        }
      }
    },
  };
}

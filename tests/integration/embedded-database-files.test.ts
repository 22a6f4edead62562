import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.ts';

/** Issue 13 §22: the embedded database's folder and files are the portal user's alone. */
describe('embedded database files', () => {
  it('0700 folders and 0600 files — new ones, and an existing folder that was readable by others', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-perm-'));
    const dir = path.join(root, 'db');
    try {
      let db = await openDatabase({ url: `pglite:${dir}`, migrate: true });
      await db.prisma.auditEvent.count();
      await db.close();
      // An older installation: everything readable by others.
      for (const p of walk(dir)) fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
      db = await openDatabase({ url: `pglite:${dir}`, migrate: true });
      await db.prisma.practitioner.count();
      const paths = walk(dir);
      expect(paths.length).toBeGreaterThan(10);
      for (const p of paths) {
        const mode = fs.statSync(p).mode & 0o777;
        expect(mode, p).toBe(fs.statSync(p).isDirectory() ? 0o700 : 0o600);
      }
      expect(fs.statSync(`${dir}.lock`).mode & 0o777).toBe(0o600);
      await db.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

function walk(p: string): string[] {
  const found = [p];
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) found.push(...walk(path.join(p, e)));
  return found;
}

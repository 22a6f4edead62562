import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { portalEnv, portalNodeArgs } from '../../scripts/portal-node-args.mjs';
import { PortalProcess } from '../support/portal-process.ts';
import { createTestDatabase } from '../support/test-database.ts';

/**
 * The flags and environment the portal process runs with (scripts/portal-node-args.mjs): the heap
 * bound, WebAssembly on the baseline compiler on PostgreSQL, and glibc's malloc told to give freed
 * memory back — without the last two the process kept 20–64 MB that V8's optimising compiler used,
 * at random (README, Benchmark: memory).
 */
describe('the portal process settings', () => {
  it("glibc's malloc thresholds: both fixed at 128 KiB unless the operator set them", () => {
    expect(portalEnv({})).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(portalEnv({ MALLOC_MMAP_THRESHOLD_: '1048576' })).toEqual({ MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '1048576' });
    expect(portalEnv({ MALLOC_TRIM_THRESHOLD_: '0', MALLOC_MMAP_THRESHOLD_: '65536' })).toEqual({ MALLOC_TRIM_THRESHOLD_: '0', MALLOC_MMAP_THRESHOLD_: '65536' });
    // Set but empty is not a value.
    expect(portalEnv({ MALLOC_TRIM_THRESHOLD_: '' }).MALLOC_TRIM_THRESHOLD_).toBe('131072');
  });

  it('the heap bound: 256 MB unless PORTAL_MAX_HEAP_MB says otherwise; nonsense is refused', () => {
    expect(portalNodeArgs({})).toEqual(['--max-old-space-size=256']);
    expect(portalNodeArgs({ PORTAL_MAX_HEAP_MB: '512', DATABASE_URL: 'pglite:.data/db' })).toEqual(['--max-old-space-size=512']);
    for (const bad of ['64', '1.5', 'lots', '']) expect(() => portalNodeArgs({ PORTAL_MAX_HEAP_MB: bad })).toThrow(/PORTAL_MAX_HEAP_MB/);
  });

  it("WebAssembly stays on V8's baseline compiler on PostgreSQL (Prisma's query compiler), not on PGlite (the database itself)", () => {
    for (const url of ['postgres://u@db/portal', 'postgresql://u@db:5432/portal?sslmode=require']) {
      expect(portalNodeArgs({ DATABASE_URL: url })).toEqual(['--max-old-space-size=256', '--liftoff-only']);
    }
    for (const url of [undefined, '', 'pglite:.data/db', 'pglite:memory', 'mysql://u@db/portal', 'xpostgres://u@db/p']) {
      expect(portalNodeArgs({ DATABASE_URL: url })).toEqual(['--max-old-space-size=256']);
    }
  });

  it('a started portal process has them', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const database = await createTestDatabase('process-settings');
    // Next.js stood in for (the hook's STUB_NEXT): no production build needed.
    const hook = path.resolve(import.meta.dirname, '../support/record-loaded-modules.mjs');
    const portal = new PortalProcess(port, database.url, { CI: '1', CRL_FETCH: 'false', STUB_NEXT: '1' }, 'server.ts', { nodeArgs: ['--import', hook] });
    try {
      await portal.start();
      const environ = fs.readFileSync(`/proc/${portal.pid}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(portalEnv(process.env))) expect(environ).toContain(`${name}=${value}`);
      const cmdline = fs.readFileSync(`/proc/${portal.pid}/cmdline`, 'utf8').split('\0');
      expect(cmdline).toContain('--max-old-space-size=256');
      expect(cmdline.includes('--liftoff-only')).toBe(database.url.startsWith('postgres'));
      expect((await fetch(`${portal.url}/oidc/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      await portal.stop();
      portal.dispose();
      await database.drop();
    }
  });
});

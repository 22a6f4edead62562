import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { consoleUser } from '../support/admin-session.ts';
import type { Db } from '../../src/db/current.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { appendAudit, canonicalEntry, chainHash, GENESIS_HASH } from '../../src/audit/audit-log.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import { startAuditCheckpoints } from '../../src/audit/audit-checkpoints.ts';
import { checkpointKey } from '../../src/audit/checkpoint-key.ts';
import { readCheckpointLine, signCheckpoint, hashPrefix } from '../../src/audit/checkpoint-line.ts';
import { KeyEncryptionKey } from '../../src/crypto/key-encryption.ts';

/**
 * Issue 12, part 6: the audit chain anchored outside the database. The attacker owns the database:
 * switches the append-only triggers off, edits, recomputes, deletes, truncates. Signed checkpoints
 * in a file the database cannot reach must still show it, naming the first entry affected.
 */
const root = path.resolve(import.meta.dirname, '../..');
const running: TestPortal[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
});

async function portal(label: string, env: Record<string, string> = {}): Promise<TestPortal> {
  const t = await startTestPortal(label, { env: { AUDIT_CHECKPOINT_EVERY: '10', ...env } });
  running.push(t);
  return t;
}

async function append(t: TestPortal, n: number, tag = 'test.checkpointed'): Promise<void> {
  for (let i = 0; i < n; i++) await t.portal.audit({ event: tag, result: 'info', details: { i } });
}

function verify(t: TestPortal) {
  return verifyAuditChain(t.portal.prisma, { checkpoints: t.portal.auditCheckpoints, batchSize: 7 });
}

async function seqs(prisma: Db): Promise<bigint[]> {
  return (await prisma.auditEvent.findMany({ orderBy: { seq: 'asc' }, select: { seq: true } })).map((r) => r.seq);
}

function checkpointLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** The database owner's moves, with the append-only triggers switched off around them. */
async function asOwner(prisma: Db, act: () => Promise<unknown>): Promise<void> {
  await prisma.$executeRawUnsafe('ALTER TABLE audit_event DISABLE TRIGGER USER');
  try {
    await act();
  } finally {
    await prisma.$executeRawUnsafe('ALTER TABLE audit_event ENABLE TRIGGER USER');
  }
}

/** Edits entry `seq` and recomputes every hash after it, so the chain alone verifies again. */
function rewriteFrom(prisma: Db, seq: bigint) {
  return asOwner(prisma, async () => {
    const before = await prisma.auditEvent.findFirst({ where: { seq: { lt: seq } }, orderBy: { seq: 'desc' } });
    const rows = await prisma.auditEvent.findMany({ where: { seq: { gte: seq } }, orderBy: { seq: 'asc' } });
    let prev = before?.hash ?? GENESIS_HASH;
    for (const row of rows) {
      const event = row.seq === seq ? 'login.hidden' : row.event;
      const hash = chainHash(prev, canonicalEntry({ ...row, event }));
      await prisma.$executeRaw`UPDATE audit_event SET event = ${event}, prev_hash = ${prev}, hash = ${hash} WHERE seq = ${row.seq}`;
      prev = hash;
    }
  });
}

function deleteFrom(prisma: Db, seq: bigint) {
  return asOwner(prisma, () => prisma.$executeRaw`DELETE FROM audit_event WHERE seq >= ${seq}`);
}

describe('audit checkpoints', () => {
  it('are written every N entries, signed, to the file and the process log; an intact chain passes against all of them', async () => {
    const t = await portal('cp-intact');
    await append(t, 35);
    // Every 10 entries appended through the portal start a checkpoint by themselves.
    await vi.waitFor(() => expect(checkpointLines(t.portal.auditCheckpoints.file).length).toBeGreaterThanOrEqual(3), { timeout: 20_000 });
    expect(await t.portal.auditCheckpoints.checkpointNow()).toMatchObject({ ok: true });
    const lines = checkpointLines(t.portal.auditCheckpoints.file);
    const read = lines.map((l) => readCheckpointLine(l, t.portal.auditCheckpoints.publicKey));
    expect(read.every((r) => r.ok)).toBe(true);
    const all = await t.portal.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const last = read.at(-1)!;
    expect(last.ok && last.checkpoint).toMatchObject({ seq: Number(all.at(-1)!.seq), hash: all.at(-1)!.hash, count: all.length });
    // Every entry is listed exactly once across the checkpoints, with its hash's prefix.
    const listed = read.flatMap((r) => (r.ok ? r.checkpoint.entries : []));
    expect(listed).toEqual(all.map((r) => [Number(r.seq), hashPrefix(r.hash)]));
    expect(Math.max(...read.map((r) => (r.ok ? r.checkpoint.entries.length : 0)))).toBeLessThanOrEqual(10);
    expect(fs.statSync(t.portal.auditCheckpoints.file).mode & 0o777).toBe(0o600);

    expect(await verify(t)).toMatchObject({ ok: true, findings: [], checkpointFileFound: true, checkpoints: lines.length, uncovered: 0, entries: all.length });
    await append(t, 3, 'test.uncovered');
    expect(await verify(t)).toMatchObject({ ok: true, uncovered: 3 });
    // Nothing new: no new line.
    await t.portal.auditCheckpoints.checkpointNow();
    await t.portal.auditCheckpoints.checkpointNow();
    expect(checkpointLines(t.portal.auditCheckpoints.file)).toHaveLength(lines.length + 1);
  });

  it('are written every few minutes when there are new entries, and logged as "audit checkpoint #seq hash"', async () => {
    const t = await portal('cp-timer');
    const log: string[] = [];
    const file = path.join(path.dirname(t.portal.auditCheckpoints.file), 'timer.jsonl');
    const key = checkpointKey(t.portal.kek);
    const writer = startAuditCheckpoints({ prisma: t.portal.prisma, key, file, every: 1000, minutes: 0.002, log: (l) => log.push(l), audit: () => Promise.resolve() });
    try {
      // The start-up run is done; from here only the timer writes (appendAudit does not count).
      await writer.checkpointNow();
      await appendAudit(t.portal.prisma, { event: 'test.timer', result: 'info' });
      const newest = await t.portal.prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: 'desc' } });
      await vi.waitFor(() => expect(log).toContain(`audit checkpoint #${newest.seq} ${newest.hash}`), { timeout: 20_000 });
    } finally {
      await writer.close();
    }
    expect(log.filter((l) => l.startsWith('audit checkpoint #'))).toHaveLength(checkpointLines(file).length);
  });

  it('an entry edited and every later hash recomputed: the chain alone passes, the checkpoints name the edited entry; no checkpoint is signed over it', async () => {
    const t = await portal('cp-rewrite');
    await append(t, 30);
    await t.portal.auditCheckpoints.checkpointNow();
    const all = await seqs(t.portal.prisma);
    const victim = all[all.length - 17]!;
    await rewriteFrom(t.portal.prisma, victim);

    // What the old verifier saw: a perfectly valid chain.
    expect(await verifyAuditChain(t.portal.prisma)).toMatchObject({ ok: true, findings: [] });
    const report = await verify(t);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([{ kind: 'entry_rewritten', firstAffected: victim.toString(), checkpointSeq: expect.any(String), checkpointAt: expect.any(String) }]);
    expect(BigInt((report.findings[0] as { checkpointSeq: string }).checkpointSeq)).toBeGreaterThanOrEqual(victim);

    // The writer will not bless the rewritten chain: an alarm instead of a checkpoint.
    const before = checkpointLines(t.portal.auditCheckpoints.file).length;
    await append(t, 2, 'test.after_rewrite');
    expect(await t.portal.auditCheckpoints.checkpointNow()).toMatchObject({ ok: false, reason: 'prev_hash_mismatch', written: 0 });
    expect(checkpointLines(t.portal.auditCheckpoints.file)).toHaveLength(before);
    const alarm = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'security.audit_chain_broken' } });
    expect(alarm).toMatchObject({ result: 'failure', errorCode: 'prev_hash_mismatch' });
    await t.portal.auditCheckpoints.checkpointNow();
    expect(await t.portal.prisma.auditEvent.count({ where: { event: 'security.audit_chain_broken' } })).toBe(1);
  });

  it('the newest entries deleted: reported from the first one deleted, also once new entries follow', async () => {
    const t = await portal('cp-cut');
    await append(t, 25);
    await t.portal.auditCheckpoints.checkpointNow();
    const all = await seqs(t.portal.prisma);
    const firstCut = all[all.length - 6]!;
    await deleteFrom(t.portal.prisma, firstCut);

    expect(await verifyAuditChain(t.portal.prisma)).toMatchObject({ ok: true });
    const report = await verify(t);
    expect(report).toMatchObject({ ok: false, findings: [{ kind: 'entries_deleted_at_end', firstAffected: firstCut.toString() }] });
    expect(report.findings).toHaveLength(1);

    // The portal goes on appending after the cut: the chain stays valid, the hole does not.
    await append(t, 2, 'test.after_cut');
    expect(await verifyAuditChain(t.portal.prisma)).toMatchObject({ ok: true });
    expect(await verify(t)).toMatchObject({ ok: false, findings: [{ kind: 'entry_deleted', firstAffected: firstCut.toString() }] });
  });

  it('an entry in the middle deleted and the rest recomputed: the deleted one and the first rewritten one', async () => {
    const t = await portal('cp-middle');
    await append(t, 30);
    await t.portal.auditCheckpoints.checkpointNow();
    const all = await seqs(t.portal.prisma);
    const gone = all[all.length - 15]!;
    await asOwner(t.portal.prisma, () => t.portal.prisma.$executeRaw`DELETE FROM audit_event WHERE seq = ${gone}`);
    await rewriteFrom(t.portal.prisma, all[all.length - 14]!);
    const report = await verify(t);
    expect(report.findings.map((f) => [f.kind, 'firstAffected' in f ? f.firstAffected : null])).toEqual([
      ['entry_deleted', gone.toString()],
      ['entry_rewritten', all[all.length - 14]!.toString()],
    ]);
  });

  it('the table truncated (and appended to again from scratch): truncated, from the first entry', async () => {
    const t = await portal('cp-truncate');
    await append(t, 15);
    await t.portal.auditCheckpoints.checkpointNow();
    const first = (await seqs(t.portal.prisma))[0]!;
    await asOwner(t.portal.prisma, () => t.portal.prisma.$executeRawUnsafe('TRUNCATE audit_event'));
    expect(await verify(t)).toMatchObject({ ok: false, entries: 0, findings: [{ kind: 'truncated', firstAffected: first.toString() }] });
    await append(t, 3, 'test.after_truncate');
    // A fresh chain from the genesis hash: valid on its own.
    expect(await verifyAuditChain(t.portal.prisma)).toMatchObject({ ok: true, entries: 3 });
    const report = await verify(t);
    expect(report).toMatchObject({ ok: false, findings: [{ kind: 'truncated', firstAffected: first.toString() }], uncovered: 3 });
  });

  it('a content edit without recomputing is still the chain\'s own finding', async () => {
    const t = await portal('cp-edit');
    await append(t, 12);
    await t.portal.auditCheckpoints.checkpointNow();
    const victim = (await seqs(t.portal.prisma)).at(-5)!;
    await asOwner(t.portal.prisma, () => t.portal.prisma.$executeRaw`UPDATE audit_event SET result = 'success' WHERE seq = ${victim}`);
    expect(await verify(t)).toMatchObject({ ok: false, findings: [{ kind: 'hash_mismatch', firstAffected: victim.toString() }] });
  });

  it('a checkpoint line signed by another key or edited is refused and reported; the writer continues from the last genuine one', async () => {
    const t = await portal('cp-forged');
    await append(t, 12);
    await t.portal.auditCheckpoints.checkpointNow();
    const file = t.portal.auditCheckpoints.file;
    const genuine = checkpointLines(file);
    // The attacker rewrites entries and signs a checkpoint for the new state with a key of their own.
    const all = await seqs(t.portal.prisma);
    await rewriteFrom(t.portal.prisma, all.at(-4)!);
    await append(t, 1, 'test.after_forgery');
    const rows = await t.portal.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const attacker = checkpointKey(KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64')));
    const last = rows.at(-1)!;
    const forged = signCheckpoint(
      { v: 1, seq: Number(last.seq), hash: last.hash, at: new Date().toISOString(), count: rows.length, prevSeq: 0, entries: rows.map((r) => [Number(r.seq), hashPrefix(r.hash)]) },
      attacker.privateKey,
    );
    const edited = genuine.at(-1)!.replace(/"at":"[^"]+"/, `"at":"${new Date(0).toISOString()}"`);
    fs.appendFileSync(file, `${forged}\n${edited}\nnot a checkpoint\n`);

    const report = await verify(t);
    expect(report.ok).toBe(false);
    expect(report.checkpoints).toBe(genuine.length);
    expect(report.findings).toEqual([
      { kind: 'entry_rewritten', firstAffected: all.at(-4)!.toString(), checkpointSeq: expect.any(String), checkpointAt: expect.any(String) },
      { kind: 'checkpoint_signature_invalid', line: genuine.length + 1, lines: 2 },
      { kind: 'checkpoint_malformed', line: genuine.length + 3, lines: 1 },
    ]);
    // The forged line does not make the writer sign the rewritten chain either.
    expect(await t.portal.auditCheckpoints.checkpointNow()).toMatchObject({ ok: false, written: 0 });
  });

  it('no checkpoint file yet: reported, not a failure by itself', async () => {
    const t = await portal('cp-none');
    await t.portal.auditCheckpoints.checkpointNow();
    fs.rmSync(t.portal.auditCheckpoints.file, { force: true });
    expect(await verify(t)).toMatchObject({ ok: true, checkpointFileFound: false, checkpoints: 0, findings: [] });
  });

  it('the admin console\'s verify returns the same findings', async () => {
    const t = await portal('cp-admin');
    const admin = await consoleUser(t, { admin: true, registrationNumber: 'ADMIN-CP' });
    await append(t, 20);
    await t.portal.auditCheckpoints.checkpointNow();
    const ok = await (await admin.call('audit/verify', {})).json();
    expect(ok).toMatchObject({ ok: true, findings: [], checkpointFileFound: true });
    expect(ok.checkpoints).toBeGreaterThan(0);

    const all = await seqs(t.portal.prisma);
    const victim = all.at(-8)!;
    await rewriteFrom(t.portal.prisma, victim);
    const res = await admin.call('audit/verify', {});
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: false, checkpoints: ok.checkpoints, findings: [{ kind: 'entry_rewritten', firstAffected: victim.toString() }] });
    const recorded = await t.portal.prisma.auditEvent.findFirstOrThrow({ where: { event: 'admin.audit.verify' }, orderBy: { seq: 'desc' } });
    expect(recorded.details).toMatchObject({ ok: false, findings: [{ kind: 'entry_rewritten', firstAffected: victim.toString() }] });
  });
});

describe('npm run audit:verify', () => {
  function runVerify(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts'], { cwd: root, env: { ...process.env, DEMO: 'false', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, output }));
    });
  }

  it('exits 0 on an intact chain and non-zero on every break, on this database', async () => {
    const database = await createTestDatabase('cp-cli');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-cp-cli-'));
    const env = { DATABASE_URL: database.url, KEY_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'), AUDIT_CHECKPOINT_FILE: path.join(dir, 'checkpoints.jsonl') };
    try {
      const t = await startTestPortal('cp-cli', { databaseUrl: database.url, keyEncryptionKey: env.KEY_ENCRYPTION_KEY, env: { AUDIT_CHECKPOINT_FILE: env.AUDIT_CHECKPOINT_FILE } });
      await append(t, 12);
      await t.portal.auditCheckpoints.checkpointNow();
      await append(t, 2, 'test.anchored_at_close');
      // The embedded database has one owner at a time: the portal stops before the command runs.
      await t.close();

      const intact = await runVerify(env);
      expect(intact.output).toMatch(/audit chain intact/);
      expect(intact.output).toMatch(/checked against \d+ signed checkpoint\(s\).*; 0 newer entries are not yet checkpointed/);
      expect(intact.code).toBe(0);

      const db = await openDatabase({ url: database.url });
      let victim: bigint;
      let cut: bigint;
      try {
        const all = await seqs(db.prisma);
        victim = all.at(-9)!;
        cut = all.at(-3)!;
        // A plain edit: the chain itself breaks (the embedded database used to exit 0 here).
        await asOwner(db.prisma, () => db.prisma.$executeRaw`UPDATE audit_event SET result = 'success' WHERE seq = ${victim}`);
      } finally {
        await db.close();
      }
      const edited = await runVerify(env);
      expect(edited.output).toContain(`BROKEN hash_mismatch: entry #${victim} was changed`);
      expect(edited.code).toBe(1);

      const again = await openDatabase({ url: database.url });
      try {
        await asOwner(again.prisma, () => again.prisma.$executeRaw`UPDATE audit_event SET result = 'info' WHERE seq = ${victim}`);
        await deleteFrom(again.prisma, cut);
      } finally {
        await again.close();
      }
      const cutOff = await runVerify(env);
      expect(cutOff.output).toContain(`BROKEN entries_deleted_at_end: the newest entries were deleted from #${cut} on`);
      expect(cutOff.output).not.toContain('hash_mismatch');
      expect(cutOff.code).toBe(1);

      // Without the key the checkpoints cannot be checked: refused, not passed.
      const keyless = await runVerify({ ...env, KEY_ENCRYPTION_KEY: '', KEY_ENCRYPTION_KEY_FILE: path.join(dir, 'no-such-key') });
      expect(keyless.output).toMatch(/cannot be checked without the key-encryption key/);
      expect(keyless.code).toBe(2);
    } finally {
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

// npm run audit:verify — checks the audit hash chain and every signed checkpoint outside the
// database; prints one line per finding and exits 1 on any break.
import fs from 'node:fs';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { KeyEncryptionKey } from '../src/crypto/key-encryption.ts';
import { checkpointKey } from '../src/audit/checkpoint-key.ts';
import { verifyAuditChain, type AuditChainReport, type AuditFinding } from '../src/audit/verify-audit-chain.ts';

function describe(f: AuditFinding): string {
  switch (f.kind) {
    case 'prev_hash_mismatch':
      return `entry #${f.firstAffected} does not name the hash of the entry before it (expected ${f.expected}, found ${f.found}) — an entry before it was removed or changed`;
    case 'hash_mismatch':
      return `entry #${f.firstAffected} was changed: its content hashes to ${f.expected}, the stored hash is ${f.found}`;
    case 'entry_rewritten':
      return `entries rewritten and the chain recomputed from entry #${f.firstAffected} on: the table contradicts checkpoint #${f.checkpointSeq} (${f.checkpointAt}); first entry affected #${f.firstAffected}`;
    case 'entry_deleted':
      return `entry #${f.firstAffected} was deleted (later entries exist): checkpoint #${f.checkpointSeq} (${f.checkpointAt}) lists it; first entry affected #${f.firstAffected}`;
    case 'entries_deleted_at_end':
      return `the newest entries were deleted from #${f.firstAffected} on: checkpoint #${f.checkpointSeq} (${f.checkpointAt}) lists them; first entry affected #${f.firstAffected}`;
    case 'truncated':
      return `the table was emptied: none of the entries up to checkpoint #${f.checkpointSeq} (${f.checkpointAt}) remains; first entry affected #${f.firstAffected}`;
    case 'checkpoint_signature_invalid':
      return `${f.lines} checkpoint line(s) not signed by this installation's key (first: line ${f.line}) — forged, altered, or a different KEY_ENCRYPTION_KEY`;
    case 'checkpoint_malformed':
      return `${f.lines} line(s) of the checkpoint file are not checkpoints (first: line ${f.line})`;
  }
}

function print(report: AuditChainReport): void {
  const where = report.checkpointFile;
  if (where && !report.checkpointFileFound) console.log(`no checkpoint file at ${where}: only the hash chain is checked (the portal writes one every few minutes)`);
  else if (where) console.log(`checked against ${report.checkpoints} signed checkpoint(s) in ${where}; ${report.uncovered} newer entr${report.uncovered === 1 ? 'y is' : 'ies are'} not yet checkpointed`);
  if (report.ok) {
    console.log(`audit chain intact: ${report.entries} entries, last hash ${report.lastHash}`);
    return;
  }
  for (const finding of report.findings) console.error(`BROKEN ${finding.kind}: ${describe(finding)}`);
  console.error(`audit chain BROKEN: ${report.findings.length} finding(s), ${report.entries} entries in the table`);
}

/** The portal's key-encryption key; never created here (a new key would verify nothing). */
function readKek(env: ReturnType<typeof readEnvironment>): KeyEncryptionKey | undefined {
  if (env.keyEncryptionKey) return KeyEncryptionKey.fromSecret(env.keyEncryptionKey);
  if (fs.existsSync(env.keyEncryptionKeyFile)) return KeyEncryptionKey.fromSecret(fs.readFileSync(env.keyEncryptionKeyFile, 'utf8'));
  return undefined;
}

let exitCode = 1;
try {
  const env = readEnvironment();
  const kek = readKek(env);
  const file = env.auditCheckpoints.file;
  if (!kek && fs.existsSync(file)) {
    throw new Error(`the checkpoints in ${file} cannot be checked without the key-encryption key: set KEY_ENCRYPTION_KEY or KEY_ENCRYPTION_KEY_FILE as for the portal`);
  }
  const database = await openDatabase({ url: env.databaseUrl, migrate: true });
  try {
    const report = await verifyAuditChain(database.prisma, kek ? { checkpoints: { file, publicKey: checkpointKey(kek).publicKey } } : {});
    if (!kek) console.log('no key-encryption key found: only the hash chain is checked');
    print(report);
    exitCode = report.ok ? 0 : 1;
  } finally {
    await database.close();
  }
} catch (error) {
  console.error(`audit:verify failed: ${(error as Error).message}`);
  exitCode = 2;
}
// Explicitly: closing PGlite's wasm runtime resets process.exitCode.
process.exit(exitCode);

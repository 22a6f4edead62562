// npm run keys:rotate — new signing keys sign from each instance's next start; retired keys stay in
// JWKS for 30 days so tokens they signed still verify.
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { loadKeyEncryptionKey } from '../src/crypto/key-encryption.ts';
import { rotateSigningKeys } from '../src/oidc/signing-keys.ts';
import { appendAudit } from '../src/audit/audit-log.ts';

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
try {
  const { kek } = loadKeyEncryptionKey({ secret: env.keyEncryptionKey, file: env.keyEncryptionKeyFile });
  const result = await rotateSigningKeys(database.prisma, kek);
  await appendAudit(database.prisma, { event: 'admin.signing_keys_rotated', result: 'success', details: result });
  console.log(`new signing keys: ${result.created.join(', ')}; retired ${result.retired}; removed ${result.removed} retired over 30 days ago.`);
  console.log('Restart every portal instance to sign with the new keys.');
} finally {
  await database.close();
}

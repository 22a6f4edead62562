// The second certificate's lifecycle, for operators (the admin console offers the same):
//   npm run signing:status  -- --registration-number N    every credential of the practitioner and its status
//   npm run signing:revoke  -- --registration-number N    signing with the current credential stops at once
//   npm run signing:destroy -- --registration-number N    delete every escrowed key (PKCS#11 objects / sealed blobs)
//   npm run signing:renew   -- --registration-number N [--algorithm RSA-2048|EC-P256]
//       a new key for the renewed certificate; prints its public key for the HPKI signing CA
//   npm run signing:renew   -- --registration-number N --certificate cert.pem [--chain ca.pem ...]
//       attaches the renewed certificate: the old credential is retired (kept to verify its
//       signatures) and its key destroyed
// Every action is audited (admin.signing.*, by: command); exit 2 on a refusal.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { loadKeyEncryptionKey } from '../src/crypto/key-encryption.ts';
import { createKeyStore } from '../src/signing/key-store-factory.ts';
import { attachSigningCertificate, beginSigningRenewal, decodeCertificateFile, pendingSigningKey } from '../src/signing/signing-credentials.ts';
import { destroySigningKeys, listSigningCredentials, revokeSigningCredential } from '../src/signing/signing-credential-lifecycle.ts';
import { appendAudit } from '../src/audit/audit-log.ts';
import { PortalError } from '../src/errors/portal-error.ts';

const USAGE = 'usage: signing-credential.ts status|revoke|destroy|renew --registration-number N [--algorithm RSA-2048|EC-P256] [--certificate cert.pem --chain ca.pem]';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'registration-number': { type: 'string' },
    algorithm: { type: 'string', default: 'RSA-2048' },
    certificate: { type: 'string' },
    chain: { type: 'string', multiple: true, default: [] },
  },
});
const [action] = positionals;
if (!['status', 'revoke', 'destroy', 'renew'].includes(action ?? '') || !values['registration-number'] || !['RSA-2048', 'EC-P256'].includes(values.algorithm!)) {
  console.error(USAGE);
  process.exit(1);
}

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
const { kek } = loadKeyEncryptionKey({ secret: env.keyEncryptionKey, file: env.keyEncryptionKeyFile });
const stores = await createKeyStore(env, { prisma: database.prisma, kek });
const { prisma } = database;
let practitionerId: string | undefined;
const audit = (event: string, result: 'success' | 'failure', details: Record<string, unknown>, errorCode?: string) =>
  appendAudit(prisma, { event: `admin.signing.${event}`, result, practitionerId: practitionerId ?? null, errorCode, details: { by: 'command', ...details } });

try {
  const practitioner = await prisma.practitioner.findUnique({ where: { registrationNumber: values['registration-number'] } });
  if (!practitioner) throw new Error(`no practitioner with registration number ${values['registration-number']}`);
  practitionerId = practitioner.id;
  try {
    if (action === 'status') {
      const credentials = await listSigningCredentials(prisma, practitioner.id);
      if (credentials.length === 0) console.log('no signing credential');
      for (const c of credentials) {
        const cert = c.certificate ? `serial ${c.certificate.serialNumber}, ${c.certificate.notBefore} – ${c.certificate.notAfter}` : 'no certificate yet';
        console.log(`${c.id}  ${c.status}${c.current ? ' (current)' : ''}  ${c.keyStore}/${c.keyAlgorithm}  key ${c.keyDestroyedAt ? `destroyed ${c.keyDestroyedAt}` : 'held'}  ${cert}`);
      }
    } else if (action === 'revoke') {
      const revoked = await revokeSigningCredential(prisma, practitioner.id);
      await audit('revoke', 'success', revoked);
      console.log(`${revoked.changed ? 'revoked' : 'already revoked'}: ${revoked.credentialId}; ${revoked.endedAuthorisations} live authorisation(s) ended`);
      console.log('Tell the HPKI signing CA to revoke the certificate too, so that its CRL and OCSP say so.');
    } else if (action === 'destroy') {
      const destroyed = await destroySigningKeys(prisma, stores, practitioner.id);
      await audit('destroy_key', 'success', destroyed);
      console.log(`destroyed ${destroyed.destroyed.length} key(s): ${destroyed.destroyed.join(', ')}; the certificates stay to verify earlier signatures`);
    } else if (values.certificate) {
      const pending = await pendingSigningKey(prisma, practitioner.id);
      if (!pending) throw new PortalError('signing_credential_not_pending', 409, 'no key waits for a certificate: run signing:renew without --certificate first');
      const [certificate, ...included] = decodeCertificateFile(new Uint8Array(fs.readFileSync(values.certificate)));
      const chain = [...included, ...values.chain!.flatMap((file) => decodeCertificateFile(new Uint8Array(fs.readFileSync(file))))];
      const active = await attachSigningCertificate(prisma, pending.id, certificate!, chain, new Date(), stores);
      await audit('certificate', 'success', { credentialId: active.id, renewed: pending.renewsId });
      console.log(`the second certificate is active: credential ${active.id}${pending.renewsId ? `; ${pending.renewsId} is retired and its key destroyed` : ''}`);
    } else {
      const { credential, renews } = await beginSigningRenewal(prisma, stores, practitioner.id, values.algorithm as 'RSA-2048' | 'EC-P256');
      await audit('renew', 'success', { credentialId: credential.id, renews, keyStore: credential.keyStore, keyAlgorithm: credential.keyAlgorithm });
      const [listed] = (await listSigningCredentials(prisma, practitioner.id)).filter((c) => c.id === credential.id);
      console.log(`new key ${credential.id} in the ${credential.keyStore} key store${renews ? `, renewing ${renews} (which signs until the new certificate is attached)` : ''}`);
      console.log(`Public key for the HPKI signing CA (the private key never leaves the key store):\n${listed!.publicKeyPem}`);
    }
  } catch (error) {
    const event = action === 'destroy' ? 'destroy_key' : action === 'renew' && values.certificate ? 'certificate' : action!;
    if (action !== 'status') await audit(event, 'failure', {}, error instanceof PortalError ? error.code : 'internal_error');
    throw error;
  }
} catch (error) {
  console.error(error instanceof PortalError ? `${error.code}: ${error.detail ?? ''}` : (error as Error).message);
  process.exitCode = 2;
} finally {
  await stores.close();
  await database.close();
}

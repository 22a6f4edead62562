// npm run signing:enrol -- --registration-number N [--algorithm RSA-2048|EC-P256]
//   creates the practitioner's second-certificate key in the key store (PKCS#11 token when
//   configured) and prints its public key for the HPKI signing CA;
// npm run signing:enrol -- --registration-number N --certificate cert.pem [--chain ca.pem ...]
//   attaches the certificate the CA issued for that key (it must certify exactly this key).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { loadKeyEncryptionKey } from '../src/crypto/key-encryption.ts';
import { createKeyStore } from '../src/signing/key-store-factory.ts';
import { attachSigningCertificate, createSigningKey, pendingSigningKey } from '../src/signing/signing-credentials.ts';
import { appendAudit } from '../src/audit/audit-log.ts';
import { x509 } from '../src/pki/x509.ts';
import { PortalError } from '../src/errors/portal-error.ts';

const { values } = parseArgs({
  options: {
    'registration-number': { type: 'string' },
    algorithm: { type: 'string', default: 'RSA-2048' },
    certificate: { type: 'string' },
    chain: { type: 'string', multiple: true, default: [] },
  },
});
const readCertificates = (file: string) => {
  const text = fs.readFileSync(file, 'latin1');
  return text.includes('-----BEGIN') ? x509.PemConverter.decode(text).map((d) => new Uint8Array(d)) : [new Uint8Array(fs.readFileSync(file))];
};

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
const { kek } = loadKeyEncryptionKey({ secret: env.keyEncryptionKey, file: env.keyEncryptionKeyFile });
const stores = await createKeyStore(env, { prisma: database.prisma, kek, log: console.log });
try {
  if (!values['registration-number'] || !['RSA-2048', 'EC-P256'].includes(values.algorithm!)) {
    throw new Error('usage: npm run signing:enrol -- --registration-number N [--algorithm RSA-2048|EC-P256] [--certificate cert.pem --chain ca.pem]');
  }
  const practitioner = await database.prisma.practitioner.findUnique({ where: { registrationNumber: values['registration-number'] } });
  if (!practitioner) throw new Error(`no practitioner with registration number ${values['registration-number']}`);
  let credential = await database.prisma.signingCredential.findUnique({ where: { practitionerId: practitioner.id } });
  if (!credential) {
    credential = await createSigningKey(database.prisma, stores.primary, practitioner.id, values.algorithm as 'RSA-2048' | 'EC-P256');
    await appendAudit(database.prisma, { event: 'admin.signing_key_created', result: 'success', practitionerId: practitioner.id, details: { credentialId: credential.id, keyStore: credential.keyStore } });
    console.log(`created signing key ${credential.id} in the ${credential.keyStore} key store`);
  }
  if (values.certificate) {
    const [certificate] = readCertificates(values.certificate);
    const chain = values.chain!.flatMap(readCertificates);
    // The key waiting for it: this enrolment's, or a renewal's (npm run signing:renew).
    const waiting = (await pendingSigningKey(database.prisma, practitioner.id)) ?? credential;
    await attachSigningCertificate(database.prisma, waiting.id, certificate!, chain, new Date(), stores);
    await appendAudit(database.prisma, { event: 'admin.signing_certificate_attached', result: 'success', practitionerId: practitioner.id, details: { credentialId: waiting.id, renewed: waiting.renewsId } });
    console.log(`the second certificate is active: credential ${waiting.id}`);
  } else {
    const pem = x509.PemConverter.encode(new Uint8Array(credential.publicKeySpki).buffer as ArrayBuffer, 'PUBLIC KEY');
    console.log(`status: ${credential.status}\nPublic key for the HPKI signing CA (the private key never leaves the key store):\n${pem}`);
  }
} catch (error) {
  console.error(error instanceof PortalError ? `${error.code}: ${error.detail ?? ''}` : (error as Error).message);
  process.exitCode = 2;
} finally {
  await stores.close();
  await database.close();
}

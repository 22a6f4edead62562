import QRCode from 'qrcode';
import type { Portal } from '../portal/portal.ts';
import { createPractitioner, JPKI_HCROLE_SCHEME, type NewPractitioner } from '../practitioners/practitioner.ts';
import { issueRegistrationCode, registrationUrl } from '../practitioners/registration-codes.ts';
import { upsertClient, upsertSigningClient } from '../clients/clients.ts';
import { createSigningKey } from '../signing/signing-credentials.ts';
import { issueSecondCertificateWithTestCa } from './second-certificate-issuer.ts';
import { DEMO_MY_NUMBER_CARD_PIN, loadDemoPki } from './demo-pki.ts';
import { DEMO_PKCS12_PASSWORD, writeDemoClientCertificate } from './demo-tls-files.ts';
import { importCrl, importTrustCertificates } from '../pki/trust/trust-material-repository.ts';
import { recordPractitionerCertificate } from '../practitioners/practitioner-certificates.ts';

/** The demo relying party (`npm run demo:rp`); its secret is public on purpose: demo mode only. */
export const DEMO_CLIENT = {
  clientId: 'demo-rp',
  secret: 'demo-rp-secret-not-for-production',
  // The sample RP's port (npm run demo:rp -- --port, DEMO_RP_PORT): its callback is registered for the demo client.
  port: Number(process.env.DEMO_RP_PORT || 3001),
};

export const DEMO_EHR_CLIENT_ID = 'demo-ehr';

export const DEMO_PRACTITIONERS: NewPractitioner[] = [
  {
    registrationNumber: 'DEMO-MD-000001',
    familyName: 'Kagurazaka',
    givenName: 'Sanjushi',
    familyNameKanji: '神楽坂',
    givenNameKanji: '三十四',
    birthDate: '1980-04-01',
    facility: 'HPKI DEMO UNIVERSITY HOSPITAL',
    hcRoles: [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }],
    // The demo's administrator: the console at /admin.
    isAdmin: true,
  },
  {
    registrationNumber: 'DEMO-PH-000002',
    familyName: 'Yakushiji',
    givenName: 'Hanako',
    familyNameKanji: '薬師寺',
    givenNameKanji: '花子',
    birthDate: '1985-10-15',
    facility: 'HPKI DEMO PHARMACY',
    hcRoles: [{ role: 'Pharmacist', codingScheme: JPKI_HCROLE_SCHEME }],
  },
];

/**
 * Idempotent demo set: practitioners and the demo client are created once; every start issues a
 * fresh registration QR for each demo practitioner who has no device yet (the code is stored only
 * as a hash, so it can be shown only when issued).
 */
export async function seedDemoData(portal: Portal, options: { printQr: boolean }) {
  const { prisma, env } = portal;
  const rpOrigin = `http://localhost:${DEMO_CLIENT.port}`;
  await upsertClient(prisma, {
    clientId: DEMO_CLIENT.clientId,
    name: 'デモ地域医療連携ネットワーク (Demo EHR network)',
    secret: DEMO_CLIENT.secret,
    redirectUris: [`${rpOrigin}/callback`],
    postLogoutRedirectUris: [`${rpOrigin}/`],
    backchannelLogoutUri: `${rpOrigin}/backchannel-logout`,
  });
  // The demo's own test HPKI hierarchy, trusted for card and certificate logins in demo mode only.
  const pki = await loadDemoPki(env.demoPkiDir);
  await importTrustCertificates(prisma, 'hpki', 'anchor', pki.root.der);
  await importTrustCertificates(prisma, 'hpki', 'intermediate', pki.authCa.der);
  await importTrustCertificates(prisma, 'hpki', 'intermediate', pki.signCa.der);
  for (const crl of pki.crls) await importCrl(prisma, 'hpki', crl.der, 'demo');
  await importTrustCertificates(prisma, 'jpki', 'anchor', pki.jpkiRoot.der);
  await importCrl(prisma, 'jpki', pki.jpkiCrl.der, 'demo');
  portal.trust.invalidate();

  // The demo EHR (npm run demo:rp, /ehr): remote-signing consent with private_key_jwt and DPoP.
  await upsertSigningClient(prisma, {
    clientId: DEMO_EHR_CLIENT_ID,
    name: 'デモ電子カルテ (Demo EHR, remote signing)',
    redirectUris: [`${rpOrigin}/ehr/callback`],
    jwksUri: `${rpOrigin}/ehr/jwks`,
  });

  const lines: string[] = [];
  for (const demo of DEMO_PRACTITIONERS) {
    const existing = await prisma.practitioner.findUnique({
      where: { registrationNumber: demo.registrationNumber },
      include: { passkey: true },
    });
    const practitioner = existing ?? (await createPractitioner(prisma, demo));
    if (demo.isAdmin && !practitioner.isAdmin) await prisma.practitioner.update({ where: { id: practitioner.id }, data: { isAdmin: true } });
    const card = pki.cards.find((c) => c.registrationNumber === demo.registrationNumber);
    if (card) await recordPractitionerCertificate(prisma, practitioner.id, card.certificate.der, 'authentication');
    // The second certificate: a key in the key store, certified by the demo signing CA.
    if (!(await prisma.signingCredential.findUnique({ where: { practitionerId: practitioner.id } }))) {
      const credential = await createSigningKey(prisma, portal.keyStores.primary, practitioner.id);
      await issueSecondCertificateWithTestCa(prisma, credential.id, pki.signCa, [pki.root.der]);
    }
    if (existing?.passkey) {
      lines.push(`${demo.familyNameKanji} ${demo.givenNameKanji} (${demo.hcRoles?.[0]?.role}): device registered`);
      continue;
    }
    const { code, expiresAt } = await issueRegistrationCode(prisma, practitioner.id);
    const url = registrationUrl(env.publicUrl, code);
    lines.push(
      `${demo.familyNameKanji} ${demo.givenNameKanji} (${demo.hcRoles?.[0]?.role}), password ${demo.birthDate!.replaceAll('-', '')}:`,
      `  registration URL: ${url}  (valid until ${expiresAt.toISOString().slice(0, 10)})`,
    );
    if (options.printQr) lines.push(await QRCode.toString(url, { type: 'terminal', small: true }));
  }
  if (env.hpkiCertOrigin) {
    const p12 = await writeDemoClientCertificate(env.demoPkiDir, pki);
    lines.push(`HPKI certificate login (TLS): import ${p12} (password ${DEMO_PKCS12_PASSWORD}) into the browser; it is the demo doctor's card.`);
  }
  lines.push('HPKI card login without a reader: the login page offers a labelled demo software card.');
  lines.push(`My Number Card: after an HPKI card login, link the demo software My Number Card on /my-number-card (PIN ${DEMO_MY_NUMBER_CARD_PIN}).`);
  portal.log(`demo data ready; demo client "${DEMO_CLIENT.clientId}" (run: npm run demo:rp)\n${lines.join('\n')}`);
}

import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import type { FuzzContext } from './fuzz.ts';
import { fullCardLogin, registerPasskey, signingAccessToken, type Server } from './flows.ts';
import type { ReliabilityFixture } from './portal-target.ts';

/**
 * Everything the fuzz run needs from a seeded portal: the signing practitioner enrolled by a first
 * card login and given a signing credential (`enrolSigner`, which differs between an in-process
 * portal and a child process), a registered passkey, an EHR's signing access token.
 */
export async function prepareFuzzContext(server: Server, fixture: ReliabilityFixture, enrolSigner: (signer: IssuedCertificate) => Promise<string>): Promise<FuzzContext> {
  const signer = fixture.cards[0]!;
  await fullCardLogin(server, fixture.rp, signer);
  const credentialId = await enrolSigner(signer);
  const { authenticator } = await registerPasskey(server, fixture.registrants[0]!);
  const accessToken = await signingAccessToken(server, fixture.ehr, signer);
  return {
    server,
    rp: fixture.rp,
    card: signer,
    cardEcdsa: fixture.cards[1]!,
    jpkiCard: fixture.jpki.cards.valid,
    registrants: fixture.registrants.slice(1),
    passkey: authenticator,
    signing: { ehr: fixture.ehr, accessToken, credentialId },
  };
}

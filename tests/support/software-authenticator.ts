import crypto from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A WebAuthn authenticator in Node for integration tests, standing in for a phone: EC P-256 keys,
 * `none` attestation, discoverable credentials, user verification. Every byte is built here (CBOR,
 * authenticator data, COSE key, DER signature), so the server's verification is exercised for real.
 */
interface StoredCredential {
  id: Buffer;
  privateKey: crypto.KeyObject;
  rpId: string;
  userHandle: string;
  signCount: number;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => crypto.createHash('sha256').update(data).digest();

export class SoftwareAuthenticator {
  private readonly credentials: StoredCredential[] = [];

  /** `aaguid` as 32 hex digits (the all-zero AAGUID by default, as a "none" attestation often has). */
  constructor(
    private readonly origin: string,
    private readonly aaguid = '00000000000000000000000000000000',
  ) {}

  get credentialIds(): string[] {
    return this.credentials.map((c) => b64url(c.id));
  }

  /** navigator.credentials.create(): a new discoverable credential for the options' RP and user. */
  register(options: PublicKeyCredentialCreationOptionsJSON, { userVerified = true } = {}): RegistrationResponseJSON {
    const rpId = options.rp.id!;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(b64url(c.id)))) {
      throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
    }
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = crypto.randomBytes(32);
    this.credentials.push({ id, privateKey, rpId, userHandle: options.user.id, signCount: 0 });

    // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAG_UP | (userVerified ? FLAG_UV : 0) | FLAG_AT]),
      Buffer.alloc(4), // sign count 0
      Buffer.from(this.aaguid, 'hex'),
      idLength,
      id,
      Buffer.from(coseKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, never>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, never>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    const clientDataJSON = this.clientData('webauthn.create', options.challenge);
    return {
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['hybrid', 'internal'],
      },
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): signs the challenge with an allowed (or any discoverable) credential. */
  authenticate(options: PublicKeyCredentialRequestOptionsJSON, { userVerified = true } = {}): AuthenticationResponseJSON {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find((c) => c.rpId === options.rpId && (allowed.size === 0 || allowed.has(b64url(c.id))));
    if (!credential) throw new Error('NotAllowedError: no credential for this relying party');
    credential.signCount += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(credential.signCount);
    const authData = Buffer.concat([sha256(credential.rpId), Buffer.from([FLAG_UP | (userVerified ? FLAG_UV : 0)]), count]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    // ECDSA over authenticatorData ‖ SHA-256(clientDataJSON), DER-encoded as WebAuthn requires.
    const signature = crypto.sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64url(credential.id),
      rawId: b64url(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
    };
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }
}

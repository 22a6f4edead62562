import { AsnConvert } from '@peculiar/asn1-schema';
import { toBytes } from '../bytes.ts';
import type { BinaryInput } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';
import { MAX_CERTIFICATE_BYTES } from '../validation/parse-certificate.ts';
import { x509 } from '../x509.ts';
import { HCActorData, SubjectDirectoryAttributes } from './schema.ts';

/** One hcRole as written in the certificate: the free-text role and the coding scheme it belongs to. */
export interface HcRole {
  role: string;
  codingScheme: string;
}

/** Upper bound on the extension value; a real one is ~50 bytes per role. */
export const MAX_HCROLE_EXTENSION_BYTES = 16 * 1024;

export class HcRoleMalformedError extends PkiError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('hcrole_malformed', detail, options);
    this.name = 'HcRoleMalformedError';
  }
}

/**
 * Every HCActor of every hcRole attribute (1.0.17090.0.1) in the certificate's
 * subjectDirectoryAttributes, in certificate order. No extension (or no hcRole attribute) → [].
 * Throws HcRoleMalformedError when the extension is present but does not follow the schema, and a
 * PkiError (`certificate_too_large` / `certificate_malformed`) when raw bytes are not a certificate.
 */
export function parseHcRoles(cert: x509.X509Certificate | BinaryInput): HcRole[] {
  const certificate = cert instanceof x509.X509Certificate ? cert : decodeCertificate(cert);
  const extensions = certificate.extensions.filter((e) => e.type === OID.subjectDirectoryAttributes);
  if (extensions.length === 0) return [];
  if (extensions.length > 1) throw new HcRoleMalformedError('subjectDirectoryAttributes appears more than once');
  return parseHcRoleExtensionValue(extensions[0]!.value);
}

/** Parses the contents of the subjectDirectoryAttributes extension (the bytes inside extnValue). */
export function parseHcRoleExtensionValue(value: BinaryInput): HcRole[] {
  if (value.byteLength > MAX_HCROLE_EXTENSION_BYTES) {
    throw new HcRoleMalformedError(`subjectDirectoryAttributes is ${value.byteLength} bytes (limit ${MAX_HCROLE_EXTENSION_BYTES})`);
  }
  const attributes = decodeStrict(value, SubjectDirectoryAttributes, 'SubjectDirectoryAttributes');
  if (attributes.length === 0) throw new HcRoleMalformedError('SubjectDirectoryAttributes is empty (SIZE 1..MAX)');

  const roles: HcRole[] = [];
  for (const attribute of attributes) {
    if (attribute.type !== OID.hcActorAttribute) continue;
    if (attribute.values.length === 0) throw new HcRoleMalformedError('hcRole attribute has no value');
    for (const value of attribute.values) {
      const actors = decodeStrict(value, HCActorData, 'HCActorData');
      if (actors.length === 0) throw new HcRoleMalformedError('HCActorData is empty');
      for (const actor of actors) {
        const { codingSchemeReference, codeDataFreeText } = actor.codedData;
        const role = codeDataFreeText.toString();
        if (!codingSchemeReference) throw new HcRoleMalformedError('CodedData has no codingSchemeReference');
        if (!role) throw new HcRoleMalformedError('CodedData has no codeDataFreeText string');
        roles.push({ role, codingScheme: codingSchemeReference });
      }
    }
  }
  return roles;
}

function decodeCertificate(der: BinaryInput): x509.X509Certificate {
  if (der.byteLength > MAX_CERTIFICATE_BYTES) {
    throw new PkiError('certificate_too_large', `certificate is ${der.byteLength} bytes (limit ${MAX_CERTIFICATE_BYTES})`);
  }
  try {
    return new x509.X509Certificate(toBytes(der));
  } catch (cause) {
    throw new PkiError('certificate_malformed', 'not a DER X.509 certificate', { cause });
  }
}

/**
 * Schema decoding that also refuses trailing bytes: the re-encoded structure must be exactly as long
 * as the input (the schema library alone stops after the first element).
 */
function decodeStrict<T>(data: BinaryInput, type: new () => T, name: string): T {
  let decoded: T;
  try {
    decoded = AsnConvert.parse(toBytes(data), type);
  } catch (cause) {
    throw new HcRoleMalformedError(`${name} does not match its ASN.1 schema`, { cause });
  }
  let length: number;
  try {
    length = AsnConvert.serialize(decoded).byteLength;
  } catch (cause) {
    throw new HcRoleMalformedError(`${name} could not be re-encoded`, { cause });
  }
  if (length !== data.byteLength) throw new HcRoleMalformedError(`${name} has ${data.byteLength - length} unexpected trailing bytes`);
  return decoded;
}

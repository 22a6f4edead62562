import { AsnConvert } from '@peculiar/asn1-schema';
import { Attribute, CodedData, DirectoryString, HCActor, HCActorData, SubjectDirectoryAttributes } from '../hcrole/schema.ts';
import type { DirectoryStringForm } from '../hcrole/schema.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';

export interface HcRoleSpec {
  /** The hcRole string as the CP writes it, e.g. "Medical Doctor". */
  role: string;
  /** Defaults to the Japanese HPKI coding scheme 1.2.392.100495.1.6.1.1. */
  codingScheme?: string;
  /** DirectoryString alternative; UTF8String as in real MEDIS certificates by default. */
  form?: DirectoryStringForm;
}

export interface HcRoleExtensionOptions {
  /**
   * `one-attribute` (default, as in the MEDIS certificate): one 1.0.17090.0.1 attribute whose
   * single HCActorData value holds every HCActor. `attribute-per-role`: one attribute per role.
   */
  layout?: 'one-attribute' | 'attribute-per-role';
  /** Other directory attributes placed before the hcRole attribute(s). */
  otherAttributes?: Array<{ type: string; valueDer: Uint8Array<ArrayBuffer> }>;
}

function hcActor(spec: HcRoleSpec): HCActor {
  return new HCActor({
    codedData: new CodedData({
      codingSchemeReference: spec.codingScheme ?? OID.jhpkiCodingScheme,
      codeDataFreeText: new DirectoryString({ [spec.form ?? 'utf8String']: spec.role }),
    }),
  });
}

function compareBytes(a: ArrayBuffer, b: ArrayBuffer): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** DER of a SET OF HCActor, elements sorted by encoding as DER requires for SET OF. */
function hcActorDataDer(specs: readonly HcRoleSpec[]): ArrayBuffer {
  const actors = specs.map(hcActor).sort((a, b) => compareBytes(AsnConvert.serialize(a), AsnConvert.serialize(b)));
  return AsnConvert.serialize(new HCActorData(actors));
}

/** The subjectDirectoryAttributes extension value (contents of extnValue) carrying the given hcRoles. */
export function buildHcRoleExtensionValue(roles: readonly HcRoleSpec[], options: HcRoleExtensionOptions = {}): Uint8Array<ArrayBuffer> {
  const attributes: Attribute[] = (options.otherAttributes ?? []).map(
    (a) => new Attribute({ type: a.type, values: [Uint8Array.from(a.valueDer).buffer] }),
  );
  if (options.layout === 'attribute-per-role') {
    for (const role of roles) attributes.push(new Attribute({ type: OID.hcActorAttribute, values: [hcActorDataDer([role])] }));
  } else if (roles.length > 0) {
    attributes.push(new Attribute({ type: OID.hcActorAttribute, values: [hcActorDataDer(roles)] }));
  }
  return new Uint8Array(AsnConvert.serialize(new SubjectDirectoryAttributes(attributes)));
}

/** subjectDirectoryAttributes (2.5.29.9), non-critical as in the MEDIS certificate. */
export function hcRoleExtension(roles: readonly HcRoleSpec[], options?: HcRoleExtensionOptions): x509.Extension {
  return new x509.Extension(OID.subjectDirectoryAttributes, false, buildHcRoleExtensionValue(roles, options));
}

/** An arbitrary (possibly malformed) extension value under the subjectDirectoryAttributes OID. */
export function rawSubjectDirectoryAttributesExtension(value: Uint8Array<ArrayBuffer>): x509.Extension {
  return new x509.Extension(OID.subjectDirectoryAttributes, false, value);
}

/** The exact extension value of the MEDIS test certificate (research/protocol-facts.md §A1). */
export const MEDICAL_DOCTOR_EXTENSION_VALUE_HEX = (
  '30 34 30 32 06 06 28 81 85 42 00 01 31 28 31 26 30 24 A0 22 31 20 A0 0C 06 0A 2A 83 08 86 91 0F ' +
  '01 06 01 01 A2 10 0C 0E 4D 65 64 69 63 61 6C 20 44 6F 63 74 6F 72'
)
  .replace(/\s+/g, '')
  .toLowerCase();

const hex = (s: string): Uint8Array<ArrayBuffer> => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Extension values that break the hcRole schema, each derived from the real Medical Doctor bytes.
 * Keys name the defect; all must be refused with `hcrole_malformed`.
 */
export const malformedHcRoleExtensionValues: Readonly<Record<string, Uint8Array<ArrayBuffer>>> = Object.freeze({
  /** codeDataFreeText holds an INTEGER instead of a DirectoryString. */
  integerInsteadOfString: hex(MEDICAL_DOCTOR_EXTENSION_VALUE_HEX.replace('a2100c0e', 'a210020e')),
  /** The CodedData [0] wrapper is IMPLICIT-tagged (A0 → 80 primitive) instead of EXPLICIT. */
  implicitCodedDataTag: hex(MEDICAL_DOCTOR_EXTENSION_VALUE_HEX.replace('3024a022', '30248022')),
  /** HCActor without codedData: SEQUENCE {} inside the SET. */
  emptyHcActor: hex('300e300c060628818542000131023000'),
  /** The attribute value is an OCTET STRING, not a SET OF HCActor. */
  octetStringValue: hex('3010300e06062881854200013104040201ff'),
  /** The hcRole attribute has an empty value set. */
  noAttributeValue: hex('300c300a06062881854200013100'),
  /** The real bytes cut 6 bytes short. */
  truncated: hex(MEDICAL_DOCTOR_EXTENSION_VALUE_HEX.slice(0, -12)),
  /** The real bytes followed by two stray bytes. */
  trailingBytes: hex(`${MEDICAL_DOCTOR_EXTENSION_VALUE_HEX}0000`),
  /** Not ASN.1 at all. */
  notDer: Uint8Array.from(Buffer.from('Medical Doctor', 'utf8')),
});

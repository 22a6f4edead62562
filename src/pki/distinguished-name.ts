import { AsnConvert } from '@peculiar/asn1-schema';
import { Name as AsnName } from '@peculiar/asn1-x509';
import type { AttributeValue } from '@peculiar/asn1-x509';
import type { x509 } from './x509.ts';

/** The value of one attribute of a name: its text, or undefined when it is not a string type. */
function attributeText(value: AttributeValue): string | undefined {
  for (const form of ['utf8String', 'printableString', 'bmpString', 'universalString', 'teletexString', 'ia5String'] as const) {
    const text = value[form];
    if (typeof text === 'string') return text;
  }
  return undefined;
}

function hex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * The ASN.1 of a name, decoded once per name object: a login's subject and issuer are read for their
 * characters, their match key and their fields, and each read re-encoded and re-decoded the name.
 * Name objects are never changed once made (a certificate's are its own), so the decoding stays right.
 */
const decodedNames = new WeakMap<x509.Name, AsnName>();
function decodedName(name: x509.Name): AsnName {
  let decoded = decodedNames.get(name);
  if (!decoded) decodedNames.set(name, (decoded = AsnConvert.parse(name.toArrayBuffer(), AsnName)));
  return decoded;
}

/** Every attribute of a name in order, as (type OID, text or undefined, DER of a non-string value). */
export function nameAttributes(name: x509.Name): Array<{ type: string; text: string | undefined; rdn: number }> {
  const parsed = decodedName(name);
  return parsed.flatMap((rdn, index) => rdn.map((ava) => ({ type: ava.type, text: attributeText(ava.value), rdn: index })));
}

/** Characters RFC 4518 §2.2 maps to nothing (soft hyphen, variation selectors, zero-width space, …). */
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b\ufe00-\ufe0f\ufffc]/g;
/** Other control characters are mapped to nothing too; these whitespace controls become a space. */
const WHITESPACE_CONTROLS = /[\t\n\v\f\r\u0085]/g;
const OTHER_CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/g;
const SEPARATORS = /\p{Z}/gu;

/**
 * The LDAP string preparation of RFC 4518 for caseIgnoreMatch, as RFC 5280 §7.1 asks for name
 * comparison: map, case-fold, NFKC, insignificant-space handling (trimmed, inner runs as one).
 */
export function prepareNameString(value: string): string {
  const mapped = value.replace(MAPPED_TO_NOTHING, '').replace(WHITESPACE_CONTROLS, ' ').replace(OTHER_CONTROLS, '').replace(SEPARATORS, ' ');
  // toUpperCase before toLowerCase approximates full case folding (ß → ss) without a table.
  const folded = mapped.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
  return folded.trim().replace(/ +/g, ' ');
}

const keys = new WeakMap<x509.Name, string>();

/**
 * Key for matching an issuer name to a subject name (chain building, CRL issuers) under RFC 5280
 * §7.1: two names match when they have the same RDNs in the same order, each with the same set of
 * attribute types whose string values match after RFC 4518 preparation — case and insignificant
 * spaces do not count, nor does the string type (PrintableString vs UTF8String). Values that are
 * not strings compare by their DER.
 */
export function nameKey(name: x509.Name): string {
  let key = keys.get(name);
  if (key !== undefined) return key;
  const parsed = decodedName(name);
  key = parsed
    .map((rdn) =>
      rdn
        .map((ava) => {
          const text = attributeText(ava.value);
          return `${ava.type}=${text === undefined ? `#${hex(AsnConvert.serialize(ava.value))}` : JSON.stringify(prepareNameString(text))}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
  keys.set(name, key);
  return key;
}

/** Whether two names match under RFC 5280 §7.1 (see nameKey). */
export function namesMatch(a: x509.Name, b: x509.Name): boolean {
  return nameKey(a) === nameKey(b);
}

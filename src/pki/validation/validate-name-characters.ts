import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityInfoAccessSyntax, CRLDistributionPoints, SubjectAlternativeName } from '@peculiar/asn1-x509';
import type { GeneralName } from '@peculiar/asn1-x509';
import { nameAttributes } from '../distinguished-name.ts';
import { PkiError } from '../errors.ts';
import { OID } from '../oids.ts';
import { x509 } from '../x509.ts';

/** C0 controls (U+0000–U+001F, NUL among them), DEL and the C1 controls (U+0080–U+009F). */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/** Half a surrogate pair (what a broken BMPString decodes to). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a text from a certificate cannot be stored or shown, or undefined when it can. */
export function textProblem(text: string): string | undefined {
  const control = CONTROL_CHARACTER.exec(text);
  if (control) return `contains the control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  // A BMPString can decode to half a surrogate pair, which no UTF-8 database column can hold.
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired surrogate (not well-formed Unicode)';
  return undefined;
}

function nameTexts(name: x509.Name, where: string): Array<[string, string]> {
  return nameAttributes(name).flatMap((a) => (a.text === undefined ? [] : [[`${where} ${a.type}`, a.text] as [string, string]]));
}

function generalNameTexts(name: GeneralName, where: string): Array<[string, string]> {
  if (name.directoryName) return nameTexts(new x509.Name(AsnConvert.serialize(name.directoryName)), `${where} directoryName`);
  const texts: Array<[string, string]> = [];
  if (name.rfc822Name !== undefined) texts.push([`${where} rfc822Name`, name.rfc822Name]);
  if (name.dNSName !== undefined) texts.push([`${where} dNSName`, name.dNSName]);
  if (name.uniformResourceIdentifier !== undefined) texts.push([`${where} URI`, name.uniformResourceIdentifier]);
  return texts;
}

function extensionTexts(certificate: x509.X509Certificate): Array<[string, string]> {
  const texts: Array<[string, string]> = [];
  for (const extension of certificate.extensions) {
    if (extension.type === OID.subjectAltName) {
      for (const name of AsnConvert.parse(extension.value, SubjectAlternativeName)) texts.push(...generalNameTexts(name, 'subjectAltName'));
    } else if (extension.type === OID.crlDistributionPoints) {
      for (const point of AsnConvert.parse(extension.value, CRLDistributionPoints)) {
        for (const name of point.distributionPoint?.fullName ?? []) texts.push(...generalNameTexts(name, 'cRLDistributionPoints'));
        for (const name of point.cRLIssuer ?? []) texts.push(...generalNameTexts(name, 'cRLDistributionPoints cRLIssuer'));
      }
    } else if (extension.type === OID.authorityInfoAccess) {
      for (const access of AsnConvert.parse(extension.value, AuthorityInfoAccessSyntax)) texts.push(...generalNameTexts(access.accessLocation, 'authorityInfoAccess'));
    }
  }
  return texts;
}

/**
 * The names a certificate carries — subject, issuer, subjectAltName, and the URIs of its CRL
 * distribution points and Authority Information Access — hold no control character (U+0000 and the
 * other C0 controls, DEL, C1) and are well-formed Unicode → otherwise `certificate_name_invalid`.
 * These strings are stored (enrolment, practitioner records, CRL URLs) and shown; PostgreSQL text
 * cannot hold U+0000, so refusing here keeps a certificate that passed validation from failing later.
 */
export function validateNameCharacters(certificate: x509.X509Certificate): void {
  let texts: Array<[string, string]>;
  try {
    texts = [...nameTexts(certificate.subjectName, 'subject'), ...nameTexts(certificate.issuerName, 'issuer'), ...extensionTexts(certificate)];
  } catch (cause) {
    throw new PkiError('certificate_malformed', 'a name or name extension cannot be decoded', { cause });
  }
  for (const [where, text] of texts) {
    const problem = textProblem(text);
    if (problem) throw new PkiError('certificate_name_invalid', `${where} ${problem}`);
  }
}

import { AsnConvert } from '@peculiar/asn1-schema';
import { Extension } from '@peculiar/asn1-x509';
import { GENERALIZED_TIME, readTime } from '../der/read-time.ts';
import { contentEquals, DerError, readTagged, readTlv } from '../der/read-tlv.ts';
import type { Tlv } from '../der/read-tlv.ts';
import { PkiError } from '../errors.ts';
import { RevokedSerialTableBuilder } from './revoked-serial-table.ts';
import type { RevokedSerialTable } from './revoked-serial-table.ts';

const BOOLEAN = 0x01;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const OBJECT_IDENTIFIER = 0x06;
const ENUMERATED = 0x0a;
const SEQUENCE = 0x30;

/** Content octets of the entry extensions understood here; any other critical one makes the CRL unusable. */
const REASON_CODE_OID = Uint8Array.of(0x55, 0x1d, 0x15); // 2.5.29.21
const INVALIDITY_DATE_OID = Uint8Array.of(0x55, 0x1d, 0x18); // 2.5.29.24

/** A revokedCertificates entry is at least SEQUENCE header (2) + INTEGER (3) + UTCTime (15) octets. */
const MIN_ENTRY_OCTETS = 20;

/**
 * Walks the revokedCertificates SEQUENCE of a DER CRL (RFC 5280 §5.1.2.6) entry by entry, without
 * building an ASN.1 object per entry, into a RevokedSerialTable. Throws DerError for malformed
 * DER and PkiError `crl_invalid` for an entry this service cannot honour.
 */
export function readRevokedCertificates(der: Uint8Array, revokedCertificates: Tlv): RevokedSerialTable {
  const { contentStart, end } = revokedCertificates;
  const table = new RevokedSerialTableBuilder(Math.ceil((end - contentStart) / MIN_ENTRY_OCTETS / 2));
  for (let offset = contentStart; offset < end; ) {
    const entry = readTagged(der, offset, end, SEQUENCE, 'revokedCertificates entry');
    const serial = readTagged(der, entry.contentStart, entry.end, INTEGER, 'userCertificate');
    if (serial.end === serial.contentStart) throw new DerError('userCertificate is an empty INTEGER', serial.start);
    const revocationDate = readTlv(der, serial.end, entry.end);
    const revokedAt = readTime(der, revocationDate);
    let reason: number | undefined;
    if (revocationDate.end < entry.end) {
      const extensions = readTagged(der, revocationDate.end, entry.end, SEQUENCE, 'crlEntryExtensions');
      if (extensions.end !== entry.end) throw new DerError('revokedCertificates entry has an unexpected element', extensions.end);
      reason = readEntryExtensions(der, extensions);
    }
    // The serial as normaliseSerialHex spells it: without leading zero octets, "00" for zero.
    let serialStart = serial.contentStart;
    while (serialStart < serial.end - 1 && der[serialStart] === 0) serialStart++;
    table.add(der, serialStart, serial.end, revokedAt, reason);
    offset = entry.end;
  }
  return table.build();
}

/** Checks an entry's extensions and returns its reasonCode (the first one, as @peculiar/x509 does). */
function readEntryExtensions(der: Uint8Array, extensions: Tlv): number | undefined {
  let reason: number | undefined;
  for (let offset = extensions.contentStart; offset < extensions.end; ) {
    const extension = readTagged(der, offset, extensions.end, SEQUENCE, 'Extension');
    const extnId = readTagged(der, extension.contentStart, extension.end, OBJECT_IDENTIFIER, 'extnID');
    if (extnId.end === extnId.contentStart) throw new DerError('extnID is empty', extnId.start);
    let critical = false;
    let value = readTlv(der, extnId.end, extension.end);
    if (value.tag === BOOLEAN) {
      critical = readBoolean(der, value);
      value = readTlv(der, value.end, extension.end);
    }
    if (value.tag !== OCTET_STRING) throw new DerError('extnValue is not an OCTET STRING', value.start);
    if (value.end !== extension.end) throw new DerError('Extension has an unexpected element', value.end);

    if (contentEquals(der, extnId, REASON_CODE_OID)) {
      const code = readReasonCode(der, value);
      reason ??= code;
    } else if (contentEquals(der, extnId, INVALIDITY_DATE_OID)) {
      // Not used, but a malformed value means the entry was not produced as the CA intended.
      const invalidityDate = readTagged(der, value.contentStart, value.end, GENERALIZED_TIME, 'invalidityDate');
      if (invalidityDate.end !== value.end) throw new DerError('invalidityDate has trailing octets', invalidityDate.end);
      readTime(der, invalidityDate);
    } else if (critical) {
      throw new PkiError('crl_invalid', `unsupported critical CRL entry extension ${extensionType(der, extension)}`);
    }
    offset = extension.end;
  }
  return reason;
}

function readBoolean(der: Uint8Array, element: Tlv): boolean {
  const byte = der[element.contentStart];
  if (element.end - element.contentStart !== 1 || (byte !== 0x00 && byte !== 0xff)) throw new DerError('BOOLEAN is not DER', element.start);
  return byte === 0xff;
}

/** CRLReason ::= ENUMERATED (RFC 5280 §5.3.1), inside the extnValue OCTET STRING. */
function readReasonCode(der: Uint8Array, extnValue: Tlv): number {
  const enumerated = readTagged(der, extnValue.contentStart, extnValue.end, ENUMERATED, 'reasonCode');
  if (enumerated.end !== extnValue.end) throw new DerError('reasonCode has trailing octets', enumerated.end);
  const length = enumerated.end - enumerated.contentStart;
  if (length < 1 || length > 2) throw new PkiError('crl_invalid', `reasonCode of ${length} octets is out of range`);
  let code = der[enumerated.contentStart]! & 0x80 ? -1 : 0;
  for (let i = enumerated.contentStart; i < enumerated.end; i++) code = code * 256 + der[i]!;
  if (code < 0 || code > 254) throw new PkiError('crl_invalid', `reasonCode ${code} is out of range`);
  return code;
}

/** The dotted OID of an extension, for the error message only: the schema library decodes it. */
function extensionType(der: Uint8Array, extension: Tlv): string {
  try {
    return AsnConvert.parse(der.slice(extension.start, extension.end), Extension).extnID;
  } catch {
    return '(undecodable OID)';
  }
}

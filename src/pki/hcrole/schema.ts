/**
 * ASN.1 schema of the hcRole attribute (ISO/TS 17090-3 as profiled by the MHLW HPKI CP), carried in
 * subjectDirectoryAttributes (2.5.29.9) → Attribute 1.0.17090.0.1. The context tags are EXPLICIT, as
 * seen in the bytes of a real MEDIS certificate (research/protocol-facts.md §A1):
 *
 *   HCActorData ::= SET OF HCActor
 *   HCActor ::= SEQUENCE {
 *     codedData            [0] CodedData,
 *     regionalHCActorData  [1] SEQUENCE OF RegionalData OPTIONAL }   -- "do not use" in the CP
 *   CodedData ::= SET {
 *     codingSchemeReference [0] OBJECT IDENTIFIER,
 *     codeDataValue         [1] NumericString OPTIONAL,             -- "do not use" in the CP
 *     codeDataFreeText      [2] DirectoryString }
 *
 * SubjectDirectoryAttributes and Attribute come from @peculiar/asn1-x509 (RFC 5280 definitions).
 */
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { DirectoryString } from '@peculiar/asn1-x509';

export { Attribute, DirectoryString, SubjectDirectoryAttributes } from '@peculiar/asn1-x509';

@AsnType({ type: AsnTypeTypes.Set })
export class CodedData {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier, context: 0, implicit: false })
  codingSchemeReference = '';

  @AsnProp({ type: AsnPropTypes.NumericString, context: 1, implicit: false, optional: true })
  codeDataValue?: string;

  @AsnProp({ type: DirectoryString, context: 2, implicit: false })
  codeDataFreeText = new DirectoryString();

  constructor(params: Partial<CodedData> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Sequence })
export class HCActor {
  @AsnProp({ type: CodedData, context: 0, implicit: false })
  codedData = new CodedData();

  /** Kept as raw DER: the CP says not to use it, but its presence must not break parsing. */
  @AsnProp({ type: AsnPropTypes.Any, context: 1, implicit: false, optional: true })
  regionalHCActorData?: ArrayBuffer;

  constructor(params: Partial<HCActor> = {}) {
    Object.assign(this, params);
  }
}

@AsnType({ type: AsnTypeTypes.Set, itemType: HCActor })
export class HCActorData extends AsnArray<HCActor> {
  constructor(items?: HCActor[]) {
    super(items);
    Object.setPrototypeOf(this, HCActorData.prototype);
  }
}

/** The DirectoryString alternatives, named as in @peculiar/asn1-x509's DirectoryString. */
export type DirectoryStringForm = 'utf8String' | 'printableString' | 'teletexString' | 'bmpString' | 'universalString';

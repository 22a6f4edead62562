import { z } from 'zod';

/**
 * The remote-signing request as RFC 9396 `authorization_details`, shaped like the CSC API v2
 * `credential` type: which credential (its ID, or the practitioner's own "second certificate"),
 * which documents (only e-prescriptions and dispensing records — seed 002 limits remote signing to
 * e-prescriptions), how many signatures, for how long. Unknown fields are refused (RFC 9396 §5).
 */
export const SIGNING_DETAIL_TYPE = 'credential';

/** Seed 002/003: remote signing is for e-prescriptions; dispensing records are the pharmacy side. */
export const SIGNABLE_DOCUMENT_TYPES = ['e-prescription', 'dispensing-record'] as const;
export type SignableDocumentType = (typeof SIGNABLE_DOCUMENT_TYPES)[number];

/** "My second certificate": the credential of whoever authenticates, resolved at consent. */
export const OWN_SECOND_CERTIFICATE = 'hpki-second-certificate';

export const HASH_ALGORITHM_OIDS = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', length: 64 },
} as const;
export type HashAlgorithmOid = keyof typeof HASH_ALGORITHM_OIDS;

export const signingDetailSchema = z
  .object({
    type: z.literal(SIGNING_DETAIL_TYPE),
    credentialID: z.string().min(1).max(128).optional(),
    signatureQualifier: z.literal(OWN_SECOND_CERTIFICATE).optional(),
    documentTypes: z.array(z.string()).min(1).max(2),
    numSignatures: z.number().int().min(1).max(100_000).optional(),
    /** Requested lifetime in seconds; the server never grants more than its configured maximum. */
    validity: z.number().int().min(60).max(24 * 3600).optional(),
    hashAlgorithmOID: z.enum(Object.keys(HASH_ALGORITHM_OIDS) as [HashAlgorithmOid, ...HashAlgorithmOid[]]).optional(),
    locations: z.array(z.string().url()).max(5).optional(),
  })
  .strict()
  .refine((d) => Boolean(d.credentialID) !== Boolean(d.signatureQualifier), 'name either credentialID or signatureQualifier')
  .refine((d) => d.documentTypes.every((t) => (SIGNABLE_DOCUMENT_TYPES as readonly string[]).includes(t)), {
    message: `only ${SIGNABLE_DOCUMENT_TYPES.join(' and ')} may be signed remotely`,
  });
export type SigningDetail = z.infer<typeof signingDetailSchema>;

/** Why a detail is refused, in RFC 9396's words for `invalid_authorization_details`. */
export function signingDetailProblem(detail: unknown): string | null {
  const parsed = signingDetailSchema.safeParse(detail);
  return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.') || 'detail'}: ${i.message}`).join('; ');
}

export function isSigningDetail(detail: unknown): detail is SigningDetail {
  return signingDetailSchema.safeParse(detail).success;
}

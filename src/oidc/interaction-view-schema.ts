import { z } from 'zod';

/** What the login and consent page shows for one interaction: GET /interaction/<uid>/view (src/http/request-handler.ts). */
export const interactionViewSchema = z.object({
  uid: z.string(),
  prompt: z.enum(['login', 'consent']),
  reasons: z.array(z.string()),
  client: z.object({ id: z.string(), name: z.string() }),
  scopes: z.array(z.string()),
  claims: z.array(z.string()),
  methods: z.array(z.string()),
  /** The login page's entries for `methods`, in the registry's order (src/auth/methods/registry.ts). */
  chooser: z
    .array(z.object({ id: z.string(), panel: z.string(), titleKey: z.string(), descriptionKey: z.string(), devices: z.array(z.enum(['terminal', 'phone'])) }))
    .default([]),
  account: z
    .object({
      name: z.string(),
      nameKanji: z.string().nullable(),
      /** The qualifications on record (hcRole display names): how the signing consent names the certificate's holder. */
      qualifications: z.array(z.object({ ja: z.string(), en: z.string() })).default([]),
    })
    .nullable(),
  /** Demo mode: the page may offer the clearly labelled software card. */
  demo: z.boolean().default(false),
  /**
   * The page may ask the My Number Card PIN itself and run the card over PC/SC pass-through (the
   * demo's software card): a proof that names no origin, accepted only with JPKI_UNBOUND_PROOF.
   */
  jpkiPagePin: z.boolean().default(false),
  /** Where the browser goes for the TLS client-certificate login of this interaction. */
  hpkiCertUrl: z.string().nullable().default(null),
  /** A remote-signing request (RFC 9396): what the consent page must show before approval. */
  signing: z
    .object({
      credentialId: z.string().nullable(),
      certificate: z
        .object({
          subject: z.string(),
          issuer: z.string(),
          /** The issuing CA's common name: the certificate is shown by its holder and this, never by a DN. */
          issuerName: z.string().default(''),
          notBefore: z.string(),
          notAfter: z.string(),
        })
        .nullable(),
      problem: z.enum(['signing_credential_missing', 'signing_credential_mismatch']).nullable(),
      documentTypes: z.array(z.string()),
      numSignatures: z.number().nullable(),
      until: z.string(),
      /** Length of the window the button names (「…を18時間許可する」), counted by the server. */
      validitySeconds: z.number().nullable().default(null),
    })
    .nullable()
    .default(null),
});
export type InteractionView = z.infer<typeof interactionViewSchema>;

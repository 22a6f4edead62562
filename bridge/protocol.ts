/**
 * The messages between the card bridge's browser extension (bridge/extension/) and its native
 * messaging host (bridge/native-host/): one JSON object per message, framed by the browser as a
 * 4-byte little-endian length + UTF-8 JSON (host → browser at most 1 MB). Every message is parsed
 * with these schemas on both sides; anything else is answered with `bad_request`.
 *
 * The origin is the one the browser reported for the page (`sender.origin` in the extension), never
 * one the page wrote; the host checks it against its own allow-list again and binds it into the
 * signed token.
 */
import { z } from 'zod';

export const BRIDGE_PROTOCOL_VERSION = '1.0.0';
export const NATIVE_HOST_NAME = 'jp.hpki_sso.card_bridge';

/** A card the bridge knows: the HPKI card (医師資格証 etc.) or the My Number Card (JPKI). */
export const cardTypeSchema = z.enum(['hpki', 'jpki']);
export type CardType = z.infer<typeof cardTypeSchema>;

/** Web eID nonces: ≥ 256 bits in base64 (44 chars), at most 128 (protocol-facts §C). */
export const challengeNonceSchema = z.string().min(43).max(128);

/** https origins; http only for loopback (the demo and tests). */
export const originSchema = z
  .string()
  .max(512)
  .refine((o) => {
    try {
      const u = new URL(o);
      if (u.origin !== o) return false;
      return u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
    } catch {
      return false;
    }
  }, 'an https origin (http only for localhost)');

/** Which token to make: the current Web eID token, or the legacy web-eid.js 0.0.x JWS. */
export const tokenFormatSchema = z.enum(['web-eid:1.0', 'legacy-jws']);

export const requestSchema = z.discriminatedUnion('command', [
  z.object({ id: z.string().max(64), command: z.literal('version') }).strict(),
  z.object({ id: z.string().max(64), command: z.literal('status') }).strict(),
  /** The PIN's tries left on the card in the reader (no PIN is sent; nothing is verified). */
  z.object({ id: z.string().max(64), command: z.literal('pin-status'), card: cardTypeSchema }).strict(),
  z
    .object({
      id: z.string().max(64),
      command: z.literal('authenticate'),
      origin: originSchema,
      challengeNonce: challengeNonceSchema,
      card: cardTypeSchema,
      format: tokenFormatSchema,
      /** The user-authentication PIN, typed in the extension's own window (4–16 digits). */
      pin: z.string().regex(/^[0-9]{4,16}$/),
    })
    .strict(),
]);
export type BridgeRequest = z.infer<typeof requestSchema>;

/** Stable error codes (the extension maps them to the page's Web eID error codes). */
export const bridgeErrorCodeSchema = z.enum([
  'bad_request',
  'message_too_large',
  'origin_not_allowed',
  'no_reader',
  'no_card',
  'wrong_card_type',
  'unknown_card',
  'pin_wrong',
  'pin_locked',
  'card_removed',
  'timeout',
  'cancelled',
  'card_error',
]);
export type BridgeErrorCode = z.infer<typeof bridgeErrorCodeSchema>;

export const readerStatusSchema = z.object({
  name: z.string(),
  cardPresent: z.boolean(),
  /** What the card in this reader is, when one is present. */
  card: z.enum(['hpki', 'jpki', 'unknown']).nullable(),
});

/** The current Web eID authentication token (protocol-facts §C1). */
export const webEidTokenSchema = z.object({
  format: z.literal('web-eid:1.0'),
  unverifiedCertificate: z.string(),
  algorithm: z.enum(['RS256', 'ES256', 'ES384', 'PS256']),
  signature: z.string(),
  appVersion: z.string(),
});

export const responseSchema = z.union([
  z.object({ id: z.string(), ok: z.literal(true), version: z.string() }),
  z.object({ id: z.string(), ok: z.literal(true), readers: z.array(readerStatusSchema) }),
  z.object({ id: z.string(), ok: z.literal(true), card: cardTypeSchema, triesLeft: z.number().int().min(0) }),
  /** `token`: the web-eid:1.0 object, or the legacy compact JWS. */
  z.object({ id: z.string(), ok: z.literal(true), token: z.union([webEidTokenSchema, z.string()]) }),
  z.object({
    id: z.string(),
    ok: z.literal(false),
    error: z.object({ code: bridgeErrorCodeSchema, message: z.string(), triesLeft: z.number().int().min(0).optional() }),
  }),
]);
export type BridgeResponse = z.infer<typeof responseSchema>;

/** Largest message either side accepts (the browser's own limit for host → browser). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

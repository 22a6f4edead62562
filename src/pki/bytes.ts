/** Binary input accepted at the module boundary (DER from a TLS stack, a header, a database row). */
export type BinaryInput = ArrayBuffer | Uint8Array;

/** A private copy backed by a plain ArrayBuffer, as WebCrypto and the ASN.1 library expect. */
export function toBytes(data: BinaryInput): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data);
}

export function isBinaryInput(value: unknown): value is BinaryInput {
  return value instanceof ArrayBuffer || value instanceof Uint8Array;
}

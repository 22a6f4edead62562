import type { BridgeErrorCode } from '../protocol.ts';

/** A failure with one of the protocol's stable error codes; the host answers it, never crashes on it. */
export class BridgeError extends Error {
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
    readonly triesLeft?: number,
  ) {
    super(message);
    this.name = 'BridgeError';
  }
}

import { PortalError } from './portal-error.ts';

/** 429: too many requests of one kind; the answer says when to try again (Retry-After and the message). */
export class RateLimitedError extends PortalError {
  constructor(
    readonly limit: string,
    readonly retryAfterSeconds: number,
  ) {
    super('rate_limited', 429, limit, { seconds: String(retryAfterSeconds) });
  }
}

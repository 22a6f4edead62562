import { errorMessage, type ErrorCode } from './catalogue.ts';

/** An error a person or a client can act on: a stable code, an HTTP status, and a message per language. */
export class PortalError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number = 400,
    readonly detail?: string,
    /** Values for the message's {placeholders}, e.g. the qualification a service requires. */
    readonly params?: Record<string, string>,
  ) {
    super(`${code}${detail ? `: ${detail}` : ''}`);
    this.name = 'PortalError';
  }

  toJSON(locale: 'ja' | 'en' = 'ja') {
    return { error: this.code, message: errorMessage(this.code, locale, this.params) };
  }
}

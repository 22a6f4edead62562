import { PortalError } from '../errors/portal-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';

/**
 * An administrator's error that carries more than a sentence: the rows of a CSV file that are wrong,
 * or the provider's own error code for client metadata it refused.
 */
export class AdminError extends PortalError {
  constructor(
    code: ErrorCode,
    status: number,
    params: Record<string, string>,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(code, status, params.detail, params);
  }

  override toJSON(locale: 'ja' | 'en' = 'ja') {
    return { ...super.toJSON(locale), ...this.extra };
  }
}

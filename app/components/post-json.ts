/** POSTs JSON to a portal endpoint; a failure carries the server's stable code and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

export async function postJson<T>(url: string, body: unknown = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(String(data.error ?? 'internal_error'), String(data.message ?? res.statusText), data);
  return data as T;
}

/** GETs JSON from a portal endpoint; a failure carries the server's stable code and message. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(String(data.error ?? 'internal_error'), String(data.message ?? res.statusText), data);
  return data as T;
}

/** What a caught failure becomes on screen: the server's coded error, or an internal one. */
export function toApiError(error: unknown, fallbackMessage: string): ApiError {
  return error instanceof ApiError ? error : new ApiError('internal_error', fallbackMessage, {});
}

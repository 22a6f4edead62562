/** A datetime-local field's value in Japan time ("2026-12-07T09:00") and back to an instant. */
export function toJapanLocal(date: Date | string): string {
  return new Date(new Date(date).getTime() + 9 * 3_600_000).toISOString().slice(0, 16);
}

export function fromJapanLocal(value: string): string {
  return new Date(`${value}:00+09:00`).toISOString();
}

/** `Content-Type: application/json`, optionally with `charset=utf-8` (the only charset we decode). */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type, ...params] = value.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
}

/** A JSON body as it was sent: strict UTF-8 (a malformed sequence is refused, not replaced), then JSON; else undefined. */
export function parseJsonBody(body: Uint8Array | string): { value: unknown } | undefined {
  try {
    const text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

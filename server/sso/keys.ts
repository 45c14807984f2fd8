import { createHash, generateKeyPairSync, hkdfSync } from 'node:crypto';
import { link, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * The provider's signing keys (PROTOCOL.md §10 `--keys FILE`): a private JWKS whose first key signs
 * and whose others still verify. Every process of an issuer reads the same file, so all publish the
 * same JWKS and accept each other's cookies: the cookie-signing secrets are derived from the keys.
 */

const rsaPrivateJwkSchema = z
  .object({
    kty: z.literal('RSA'),
    kid: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
    use: z.literal('sig').optional(),
    alg: z.literal('RS256').optional(),
    n: z.string().min(300).max(2048),
    e: z.string().max(16),
    d: z.string().max(2048),
    p: z.string().max(1024),
    q: z.string().max(1024),
    dp: z.string().max(1024),
    dq: z.string().max(1024),
    qi: z.string().max(1024),
  })
  .strict();

/** ES256 keys sign the ID tokens of clients registered with `id_token_signed_response_alg: "ES256"`. */
const ecPrivateJwkSchema = z
  .object({
    kty: z.literal('EC'),
    kid: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
    use: z.literal('sig').optional(),
    alg: z.literal('ES256').optional(),
    crv: z.literal('P-256'),
    x: z.string().length(43),
    y: z.string().length(43),
    d: z.string().length(43),
  })
  .strict();

const privateJwkSchema = z.discriminatedUnion('kty', [rsaPrivateJwkSchema, ecPrivateJwkSchema]);
export type PrivateJwk = z.infer<typeof privateJwkSchema>;

const keysFileSchema = z
  .object({ keys: z.array(privateJwkSchema).min(1).max(32) })
  .strict()
  .refine((jwks) => jwks.keys[0]?.kty === 'RSA', { message: 'the first key (the RS256 signing key) must be RSA' });
export type PrivateJwks = z.infer<typeof keysFileSchema>;

/** Keys kept by a rotation: the new one and this many before it. */
export const KEPT_PREVIOUS_KEYS = 3;
const MAX_KEYS_FILE_BYTES = 64 * 1024;

/** RFC 7638 thumbprint: the key's id is a function of the key. */
function thumbprint(jwk: { e: string; n: string }): string {
  return createHash('sha256')
    .update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n }))
    .digest('base64url');
}

function ecThumbprint(jwk: { x: string; y: string }): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y }))
    .digest('base64url');
}

/** A P-256 key for ES256 ID tokens. */
export function generateEcSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return ecPrivateJwkSchema.parse({
    ...jwk,
    kid: ecThumbprint({ x: String(jwk.x), y: String(jwk.y) }),
    use: 'sig',
    alg: 'ES256',
  });
}

/** A new key set: the RS256 key first (it signs by default), then an ES256 key. */
export function generateKeySet(): PrivateJwks {
  return { keys: [generateSigningKey(), generateEcSigningKey()] };
}

/** Whether the set can sign ES256 ID tokens (key files from before ES256 have RSA keys only). */
export const hasEcKey = (jwks: PrivateJwks): boolean => jwks.keys.some((k) => k.kty === 'EC');

export function generateSigningKey(): PrivateJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return rsaPrivateJwkSchema.parse({
    ...jwk,
    kid: thumbprint({ e: String(jwk.e), n: String(jwk.n) }),
    use: 'sig',
    alg: 'RS256',
  });
}

/** Secrets for oidc-provider's signed cookies, one per key, in the keys' order (the first signs). */
export function cookieSecrets(jwks: PrivateJwks): Buffer[] {
  return jwks.keys.map((key) =>
    Buffer.from(hkdfSync('sha256', Buffer.from(key.d, 'base64url'), 'hpki-login sso', 'cookie signing', 32)),
  );
}

function serialize(jwks: PrivateJwks): string {
  return `${JSON.stringify(keysFileSchema.parse(jwks), null, 2)}\n`;
}

export async function readKeysFile(path: string): Promise<PrivateJwks> {
  const info = await stat(path);
  if (info.size > MAX_KEYS_FILE_BYTES) throw new Error(`${path} is too large for a keys file`);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new Error(
      `${path} holds private keys but others may read it (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    throw new Error(`${path} is not a keys file: not JSON`);
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path} is not a private RSA JWKS: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function tempPath(path: string): string {
  return `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/**
 * The keys in `path`, made when absent. The new file is written whole under a temporary name and
 * then linked into place, which fails if the name exists: of processes started together exactly
 * one creates it, and the others read that complete file.
 */
export async function loadOrCreateKeys(path: string): Promise<{ jwks: PrivateJwks; created: boolean }> {
  try {
    return { jwks: await readKeysFile(path), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = tempPath(path);
  try {
    await writeFile(temp, serialize(generateKeySet()), { mode: 0o600, flag: 'wx' });
    await link(temp, path);
    return { jwks: await readKeysFile(path), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { jwks: await readKeysFile(path), created: false };
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * `sso rotate-keys`: a new RSA signing key first and a new ES256 key, the previous ones after them
 * (at most KEPT_PREVIOUS_KEYS of each type).
 */
export async function rotateKeys(path: string): Promise<{ newKid: string; kids: string[] }> {
  const current = await readKeysFile(path);
  const previous = (kty: string) => current.keys.filter((k) => k.kty === kty).slice(0, KEPT_PREVIOUS_KEYS);
  const next: PrivateJwks = { keys: [...generateKeySet().keys, ...previous('RSA'), ...previous('EC')] };
  const temp = tempPath(path);
  try {
    await writeFile(temp, serialize(next), { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return { newKid: next.keys[0]!.kid, kids: next.keys.map((k) => k.kid) };
}

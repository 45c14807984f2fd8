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
export type PrivateJwk = z.infer<typeof rsaPrivateJwkSchema>;

const keysFileSchema = z.object({ keys: z.array(rsaPrivateJwkSchema).min(1).max(16) }).strict();
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
    await writeFile(temp, serialize({ keys: [generateSigningKey()] }), { mode: 0o600, flag: 'wx' });
    await link(temp, path);
    return { jwks: await readKeysFile(path), created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { jwks: await readKeysFile(path), created: false };
  } finally {
    await rm(temp, { force: true });
  }
}

/** `sso rotate-keys`: a new signing key first, the previous ones after it (at most KEPT_PREVIOUS_KEYS). */
export async function rotateKeys(path: string): Promise<{ newKid: string; kids: string[] }> {
  const current = await readKeysFile(path);
  const next: PrivateJwks = { keys: [generateSigningKey(), ...current.keys.slice(0, KEPT_PREVIOUS_KEYS)] };
  const temp = tempPath(path);
  try {
    await writeFile(temp, serialize(next), { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return { newKid: next.keys[0]!.kid, kids: next.keys.map((k) => k.kid) };
}

import { createHash } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import type { SsoStore } from './store.js';

/**
 * The provider's own short records, kept through the same store as oidc-provider's models:
 * - a **binding**: which interaction (pending authorization request) a browser's HPKI session is
 *   logging into, written when the login page is shown;
 * - a **session login**: what the card login of one provider session proved (certificate, role,
 *   holder), keyed by the session's uid, for the claims and role checks of that session and of the
 *   tokens made in it. Never per `sub`: another login of the same holder elsewhere (another card,
 *   another role) is another session's.
 * Everything read back is parsed again: Redis is outside the process.
 */

const text = (max: number) => z.string().min(1).max(max);

export const ssoLoginSchema = z
  .object({
    certificateSha256: z.string().regex(/^[0-9a-f]{64}$/),
    serialNumber: z.string().regex(/^[0-9a-f]{1,80}$/),
    issuer: z.string().max(1024),
    notAfter: z.string().datetime(),
    holder: z.object({ name: z.string().max(1024), nameJa: z.string().max(1024).optional(), id: text(256) }),
    hcRole: text(128),
    sub: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    issuerDn: z.string().max(4096),
  })
  // Stripped, not strict: fields a newer verifier adds to its result are left out of the records.
  .strip();

const bindingSchema = z.object({ uid: text(128), interactionExpiresAt: z.number().int() }).strict();
const accountSchema = z.object({ login: ssoLoginSchema, authTime: z.number().int() }).strict();

export type Binding = z.infer<typeof bindingSchema>;
export type Account = z.infer<typeof accountSchema>;

/** What the login step hands to oidc-provider's resume, in the interaction's result (provider-config.ts). */
export const HPKI_RESULT_KEY = 'hpki';

export function accountOf(value: unknown): Account | undefined {
  const parsed = accountSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Session logins outlive the longest session and token of a login (see provider-config.ts). */
export const ACCOUNT_TTL_SECONDS = 24 * 60 * 60;
/** A binding is remembered this long after its interaction expired, so a late login is told "expired". */
export const BINDING_GRACE_SECONDS = 60;

/** Store keys name a browser by a hash of its session cookie, never by the cookie itself. */
function browserKey(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('base64url');
}

// biome-ignore lint/suspicious/noConfusingVoidType: oidc-provider's Adapter.find is typed to resolve to void too.
function parse<T>(schema: z.ZodType<T>, payload: AdapterPayload | undefined | void): T | undefined {
  if (payload === undefined || payload === null) return undefined;
  const parsed = schema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

export interface SsoRecords {
  bind(sessionId: string, binding: Binding, ttlSeconds: number): Promise<void>;
  takeBinding(sessionId: string): Promise<Binding | undefined>;
  /** The login of the provider session `sessionUid` (oidc-provider's `Session.uid`, kept by tokens as `sessionUid`). */
  putSessionLogin(sessionUid: string, account: Account): Promise<void>;
  sessionLogin(sessionUid: string): Promise<Account | undefined>;
}

export function createSsoRecords(store: SsoStore): SsoRecords {
  const bindings = store.adapter('HpkiBinding');
  const logins = store.adapter('HpkiSessionLogin');
  return {
    bind: (sessionId, binding, ttl) => bindings.upsert(browserKey(sessionId), { ...binding }, ttl),
    takeBinding: async (sessionId) => parse(bindingSchema, await bindings.take(browserKey(sessionId))),
    putSessionLogin: (sessionUid, account) => logins.upsert(sessionUid, { ...account }, ACCOUNT_TTL_SECONDS),
    sessionLogin: async (sessionUid) => parse(accountSchema, await logins.find(sessionUid)),
  };
}

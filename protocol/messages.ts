import { z } from 'zod';
import { CHALLENGE_PATTERN, PIN_PATTERN } from './challenge.js';
import type { WireError } from './errors.js';
import { CLIENT_ERROR_CODES } from './errors.js';
import type { Token } from './token.js';

/**
 * Messages between the extension and the native host (PROTOCOL.md §2), as schemas and the types
 * inferred from them. Every message that crosses a process boundary is parsed with these.
 */

export { PROTOCOL_VERSION } from './version.js';
export const NATIVE_HOST_NAME = 'jp.hpkilogin.host';
/** A message from the browser to the host. */
export const MAX_BROWSER_MESSAGE_BYTES = 8 * 1024;
/** A message from the host to the browser. */
export const MAX_HOST_MESSAGE_BYTES = 64 * 1024;

const readerName = z.string().min(1).max(256);

/** A request id: echoed back unchanged so the caller can pair answers. */
export const requestIdSchema = z.union([z.string().max(128), z.number().int().safe()]);
export type RequestId = z.infer<typeof requestIdSchema>;

const emptyParams = z.object({}).strict();

export const statusRequestSchema = z
  .object({ id: requestIdSchema, command: z.literal('status'), params: emptyParams.optional() })
  .strict();

export const getCertificateRequestSchema = z
  .object({
    id: requestIdSchema,
    command: z.literal('get-certificate'),
    params: z.object({ reader: readerName.optional() }).strict().optional(),
  })
  .strict();

export const authenticateParamsSchema = z
  .object({
    /** The page's origin, taken by the extension from the browser's sender information. */
    origin: z.string().min(1).max(2048),
    /** The site's challenge, as issued. */
    challenge: z.string().regex(CHALLENGE_PATTERN),
    /** The PIN typed in the extension's own window. Never logged or echoed. */
    pin: z.string().regex(PIN_PATTERN),
    /** Lowercase hex SHA-256 of the certificate the user saw in the PIN window. */
    certificateSha256: z.string().regex(/^[0-9a-f]{64}$/),
    reader: readerName.optional(),
  })
  .strict();
export type AuthenticateParams = z.infer<typeof authenticateParamsSchema>;

export const authenticateRequestSchema = z
  .object({ id: requestIdSchema, command: z.literal('authenticate'), params: authenticateParamsSchema })
  .strict();

export const hostRequestSchema = z.discriminatedUnion('command', [
  statusRequestSchema,
  getCertificateRequestSchema,
  authenticateRequestSchema,
]);
export type HostRequest = z.infer<typeof hostRequestSchema>;
export type HostCommand = HostRequest['command'];

export type CardType = 'hpki' | 'jpki' | 'unknown';

export interface ReaderStatus {
  name: string;
  cardPresent: boolean;
  cardType: CardType | null;
}

export interface StatusResult {
  readers: ReaderStatus[];
}

export interface Holder {
  /** Romaji name from the certificate's CN. */
  name: string;
  /** Japanese name from the SAN dirName, when present. */
  nameJa?: string;
  /** The hcRole, e.g. "Medical Doctor". */
  role: string;
}

export interface GetCertificateResult {
  reader: string;
  cardType: CardType;
  /** Standard base64 DER of the authentication certificate. */
  certificate: string;
  /** Standard base64 DER of the CA certificates read from the card, nearest first. */
  intermediates: string[];
  holder: Holder;
  pinRetriesLeft: number;
  pinMaxRetries: number;
}

export interface AuthenticateResult {
  token: Token;
}

export interface HostResultMap {
  status: StatusResult;
  'get-certificate': GetCertificateResult;
  authenticate: AuthenticateResult;
}

export type Backend = 'pcsc' | 'pkcs11' | 'mock';

export interface HelloMessage {
  hello: { protocol: number; version: string; backend: Backend };
}

export interface HostResultResponse<C extends HostCommand = HostCommand> {
  id: RequestId;
  result: HostResultMap[C];
}

export interface HostErrorResponse {
  id: RequestId | null;
  error: WireError;
}

export type HostResponse = HostResultResponse | HostErrorResponse;

const wireErrorSchema = z
  .object({
    code: z.enum(CLIENT_ERROR_CODES),
    message: z.string().max(1024),
    retriesLeft: z.number().int().min(0).max(15).optional(),
  })
  .strict();

const holderSchema = z
  .object({ name: z.string().max(256), nameJa: z.string().max(256).optional(), role: z.string().max(256) })
  .strict();

const b64 = z.string().max(16 * 1024);

const resultSchemas = {
  status: z
    .object({
      readers: z
        .array(
          z
            .object({
              name: z.string().max(256),
              cardPresent: z.boolean(),
              cardType: z.enum(['hpki', 'jpki', 'unknown']).nullable(),
            })
            .strict(),
        )
        .max(32),
    })
    .strict(),
  'get-certificate': z
    .object({
      reader: z.string().max(256),
      cardType: z.enum(['hpki', 'jpki', 'unknown']),
      certificate: b64,
      intermediates: z.array(b64).max(4),
      holder: holderSchema,
      pinRetriesLeft: z.number().int().min(0).max(15),
      pinMaxRetries: z.number().int().min(1).max(15),
    })
    .strict(),
  authenticate: z
    .object({
      token: z
        .object({
          format: z.literal('hpki-login:1'),
          algorithm: z.literal('RS256'),
          certificate: b64,
          intermediates: z.array(b64).max(4),
          signature: b64,
        })
        .strict(),
    })
    .strict(),
} as const;

export const helloSchema = z
  .object({
    hello: z
      .object({ protocol: z.number().int(), version: z.string().max(64), backend: z.enum(['pcsc', 'pkcs11', 'mock']) })
      .strict(),
  })
  .strict();

export const hostErrorResponseSchema = z.object({ id: requestIdSchema.nullable(), error: wireErrorSchema }).strict();

/** Parses the host's answer to a request of the given command (used by the extension). */
export function parseHostResponse<C extends HostCommand>(
  command: C,
  value: unknown,
): { id: RequestId; result: HostResultMap[C] } | { id: RequestId | null; error: WireError } | undefined {
  const asError = hostErrorResponseSchema.safeParse(value);
  if (asError.success) return asError.data;
  const asResult = z.object({ id: requestIdSchema, result: resultSchemas[command] }).strict().safeParse(value);
  if (asResult.success) return asResult.data as { id: RequestId; result: HostResultMap[C] };
  return undefined;
}

import { z } from 'zod';
import { CHALLENGE_PATTERN } from './challenge.js';

/** Messages between a site's page and the content script (PROTOCOL.md §1.2). */

const messageId = z.string().min(1).max(128);

export const pageAuthenticateOptionsSchema = z
  .object({
    /** How long the user has to type the PIN, 10 s to 10 min. */
    timeoutMs: z.number().int().min(10_000).max(600_000).optional(),
    lang: z.enum(['ja', 'en']).optional(),
  })
  .strict();
export type PageAuthenticateOptions = z.infer<typeof pageAuthenticateOptionsSchema>;

export const pageRequestSchema = z.discriminatedUnion('action', [
  z.object({ hpkiLogin: z.literal(1), id: messageId, action: z.literal('status') }).strict(),
  z
    .object({
      hpkiLogin: z.literal(1),
      id: messageId,
      action: z.literal('authenticate'),
      challenge: z.string().regex(CHALLENGE_PATTERN),
      options: pageAuthenticateOptionsSchema.optional(),
    })
    .strict(),
]);
export type PageRequest = z.infer<typeof pageRequestSchema>;

export const pageResponseSchema = z.discriminatedUnion('type', [
  z.object({ hpkiLogin: z.literal(1), id: messageId, type: z.literal('ack') }).strict(),
  z.object({ hpkiLogin: z.literal(1), id: messageId, type: z.literal('result'), result: z.record(z.unknown()) }).strict(),
  z
    .object({
      hpkiLogin: z.literal(1),
      id: messageId,
      type: z.literal('error'),
      error: z.object({ code: z.string().max(64), message: z.string().max(1024), retriesLeft: z.number().int().optional() }).strict(),
    })
    .strict(),
]);
export type PageResponse = z.infer<typeof pageResponseSchema>;

/** The site descriptor of PROTOCOL.md §1.1. */
export const descriptorSchema = z
  .object({
    hpkiLogin: z.literal(1),
    name: z.string().min(1).max(128),
    challengeUrl: z.string().regex(/^\/(?!\/)[^\s\\]{0,511}$/),
    loginUrl: z.string().regex(/^\/(?!\/)[^\s\\]{0,511}$/),
    button: z
      .object({
        selector: z.string().min(1).max(256),
        position: z.enum(['beforebegin', 'afterbegin', 'beforeend', 'afterend']),
      })
      .strict()
      .optional(),
    roles: z.array(z.string().max(128)).max(32).optional(),
  })
  .passthrough();
export type Descriptor = z.infer<typeof descriptorSchema>;

import * as z from 'zod/mini';
import { isLoopbackOrigin, isSecureOrigin } from '../../protocol/origin.js';
import type { Descriptor } from '../../protocol/page-messages.js';
import { descriptorSchema } from '../../protocol/page-messages.js';

/**
 * Whether the current tab's site can be offered for enabling: a secure origin that is not enabled
 * yet and serves a valid descriptor. The descriptor is fetched inside the tab (by the activeTab
 * grant the toolbar click gives), so the popup needs no standing access to any site.
 */

export type SiteOffer =
  | { kind: 'none' }
  | { kind: 'enabled'; origin: string }
  | { kind: 'offer'; origin: string; descriptor: Descriptor };

const MAX_DESCRIPTOR_CHARS = 16 * 1024;

/** Runs in the page (serialized by scripting.executeScript): keep it self-contained. */
export function readDescriptorInPage(path: string, maxChars: number): Promise<string | null> {
  return fetch(path, { credentials: 'same-origin', redirect: 'error', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.text() : null))
    .then((text) => (text !== null && text.length <= maxChars ? text : null))
    .catch(() => null);
}

export interface OfferDeps {
  tabUrl: string | undefined;
  enabledOrigins: readonly string[];
  /** Runs readDescriptorInPage in the tab and returns its result. */
  readInTab(path: string, maxChars: number): Promise<unknown>;
}

export async function siteOffer(deps: OfferDeps): Promise<SiteOffer> {
  if (deps.tabUrl === undefined) return { kind: 'none' };
  let origin: string;
  try {
    origin = new URL(deps.tabUrl).origin;
  } catch {
    return { kind: 'none' };
  }
  // Loopback sites are enabled by the development build itself, and never in the store build.
  if (!isSecureOrigin(origin) || isLoopbackOrigin(origin)) return { kind: 'none' };
  if (deps.enabledOrigins.includes(origin)) return { kind: 'enabled', origin };
  let text: unknown;
  try {
    text = await deps.readInTab('/.well-known/hpki-login', MAX_DESCRIPTOR_CHARS);
  } catch {
    return { kind: 'none' };
  }
  const asString = z.string().check(z.maxLength(MAX_DESCRIPTOR_CHARS)).safeParse(text);
  if (!asString.success) return { kind: 'none' };
  let json: unknown;
  try {
    json = JSON.parse(asString.data);
  } catch {
    return { kind: 'none' };
  }
  const parsed = descriptorSchema.safeParse(json);
  return parsed.success ? { kind: 'offer', origin, descriptor: parsed.data } : { kind: 'none' };
}

import { isSecureOrigin } from '../../protocol/origin.js';
import { matchPatternForOrigin } from '../shared/index.js';
import type { SiteRegistry } from './site-registry.js';

/**
 * Firefox may close the toolbar popup while it shows the permission prompt, and the popup's code
 * dies with it. The popup therefore tells the background first which site it is about to ask for;
 * when the browser reports the permission granted, the background finishes enabling that site.
 */

const INTENT_MS = 5 * 60_000;

export interface SiteIntents {
  note(origin: string): void;
  /** Called with `permissions.onAdded`'s origins. */
  granted(patterns: readonly string[]): Promise<void>;
}

export function createSiteIntents(registry: Pick<SiteRegistry, 'enable'>, now: () => number = Date.now): SiteIntents {
  const intents = new Map<string, number>();
  return {
    note(origin) {
      if (isSecureOrigin(origin)) intents.set(origin, now());
    },
    async granted(patterns) {
      const added = new Set(patterns);
      for (const [origin, at] of [...intents]) {
        if (now() - at > INTENT_MS) {
          intents.delete(origin);
          continue;
        }
        if (!added.has(matchPatternForOrigin(origin))) continue;
        intents.delete(origin);
        await registry.enable(origin).catch(() => undefined);
      }
    },
  };
}

import type { Finding } from './findings.js';
import { finding } from './findings.js';
import { text } from './texts.js';

/**
 * The Node.js runtime the host runs on. A host that handles a doctor's credentials must not run on
 * a runtime without security fixes, so doctor names the version and warns once it is end-of-life.
 */

/** End of life (end of security support) per Node.js major, from the Node.js release schedule. */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
};
const OLDEST_LISTED = 18;

export interface RuntimeFacts {
  /** `process.versions.node`, e.g. "24.22.3". */
  version: string;
  /** `process.execPath`. */
  path: string;
}

export function checkRuntime(facts: RuntimeFacts, now: Date): Finding[] {
  const major = Number.parseInt(facts.version, 10);
  const eol = NODE_END_OF_LIFE[major];
  const runtime = `Node.js ${facts.version} (${facts.path})`;
  const ended = eol === undefined ? major < OLDEST_LISTED : now.getTime() >= Date.parse(`${eol}T00:00:00Z`);
  if (ended) {
    const since = eol === undefined ? '' : ` (${eol})`;
    return [
      finding(
        'runtime.end-of-life',
        'warning',
        text('runtime.end-of-life', { runtime, since }),
        text('fix.update-package'),
      ),
    ];
  }
  const message =
    eol === undefined
      ? text('runtime.supported.until-unknown', { runtime })
      : text('runtime.supported', { runtime, until: eol });
  return [finding('runtime.supported', 'ok', message)];
}

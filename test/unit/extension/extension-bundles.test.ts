import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { REPO_URL } from '../../helpers/repo-root.js';

/**
 * The extension parses no certificate (ARCHITECTURE.md): what esbuild put into each bundle, read from
 * the build's metafiles (written by `npm run build` beside the bundles, not into them).
 */

const root = REPO_URL;
const metafileSchema = z.object({
  outputs: z.record(
    z.string(),
    z.object({ bytes: z.number(), inputs: z.record(z.string(), z.object({ bytesInOutput: z.number() })) }),
  ),
});

/** Libraries and project files that read X.509, ASN.1 or DER. */
const CERTIFICATE_PARSERS = [
  /node_modules\/@peculiar\//,
  /node_modules\/asn1js\//,
  /node_modules\/pkijs\//,
  /node_modules\/reflect-metadata\//,
  /node_modules\/tslib\//,
  /^protocol\/(der|certificate-der|certificate-extensions|hpki-certificate|x500-name|x509)\.ts$/,
  /^server\//,
  /^native-host\//,
];

function bundles(name: string): Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }> {
  return metafileSchema.parse(JSON.parse(readFileSync(new URL(`dist/meta/${name}.json`, root), 'utf8'))).outputs;
}

describe('the browser bundles', () => {
  const names = ['extension-development-chrome', 'extension-development-firefox', 'client'];

  it.each(names)('%s carries no X.509/ASN.1 library and nothing of the host or the server', (name) => {
    const outputs = Object.entries(bundles(name)).filter(([file]) => file.endsWith('.js'));
    expect(outputs.length).toBeGreaterThan(0);
    for (const [file, output] of outputs) {
      const offending = Object.keys(output.inputs).filter((input) => CERTIFICATE_PARSERS.some((re) => re.test(input)));
      expect(offending, file).toEqual([]);
      // zod's small build only: the classic one is five times its size.
      expect(
        Object.keys(output.inputs).some((input) => /node_modules\/zod\/v4\/classic\//.test(input)),
        file,
      ).toBe(false);
    }
  });

  it('the extension bundles are minified, each with a source map', () => {
    for (const [file, output] of Object.entries(bundles('extension-development-chrome'))) {
      if (!file.endsWith('.js')) continue;
      const text = readFileSync(new URL(file, root), 'utf8');
      expect(text, file).toMatch(/\/\/# sourceMappingURL=\w+\.js\.map\s*$/);
      // Minified: few lines for the bytes.
      expect(text.split('\n').length, file).toBeLessThan(output.bytes / 500);
    }
  });
});

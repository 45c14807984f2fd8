import { cp, mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { buildDeb } from './build-deb.js';
import { buildExtensionZips } from './build-extension-zips.js';
import { buildMacos } from './build-macos.js';
import { buildMsi } from './build-msi.js';
import { buildNpmPackage } from './build-npm.js';
import { writeChecksums } from './checksums.js';
import { signingKeyFromEnv } from './code-signing.js';

/**
 * `npm run package`: every release artefact into a fresh `dist/release/` (after `npm run build`):
 * the .deb, the MSI, both macOS archives, the store zips, the npm package, and `SHA256SUMS`.
 */
export async function buildRelease(project: string, log: (line: string) => void): Promise<string[]> {
  const release = join(project, 'dist/release');
  await rm(release, { recursive: true, force: true });
  await mkdir(release, { recursive: true });
  const deb = await buildDeb(project, log);
  await cp(deb, join(release, basename(deb)));
  await buildMsi(project, log, { sign: signingKeyFromEnv(process.env) });
  await buildMacos(project, log);
  for (const zip of await buildExtensionZips(project, log)) await cp(zip.path, join(release, basename(zip.path)));
  await buildNpmPackage(project, log);
  const sums = await writeChecksums(release);
  log(`wrote ${sums}`);
  return [release];
}

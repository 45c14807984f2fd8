import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundledExtensionIds } from '../install/host-manifest.js';
import type { StoreBrowser } from './store-manifest.js';
import { storeManifestProblems } from './store-manifest.js';

/**
 * `npm run package:extension`: the store builds (dist/extension-store/, built first by the npm
 * script) zipped with `web-ext build` into dist/store/, one for the Chrome Web Store (and Edge
 * Add-ons) and one for addons.mozilla.org. Each manifest is checked to be the store flavour first,
 * and the Firefox build must pass `web-ext lint` with no error.
 */

const execFileAsync = promisify(execFile);

export interface ExtensionZip {
  browser: StoreBrowser;
  path: string;
}

interface LintReport {
  summary: { errors: number; warnings: number };
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}

const STORES: Record<StoreBrowser, string> = {
  chrome: 'Chrome Web Store / Edge Add-ons',
  firefox: 'addons.mozilla.org',
};

async function webExt(project: string, args: string[]): Promise<string> {
  const bin = join(project, 'node_modules/.bin/web-ext');
  // web-ext lint exits non-zero on errors; its JSON report is on stdout either way.
  const result = await execFileAsync(bin, [...args, '--no-config-discovery'], {
    cwd: project,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    if (err.stdout === undefined || err.stdout === '')
      throw new Error(`web-ext ${args[0]}: ${err.stderr ?? err.message}`);
    return { stdout: err.stdout };
  });
  return result.stdout;
}

/** `web-ext lint` on a built Firefox extension: its errors (must be none) and warnings. */
export async function lintFirefox(project: string, sourceDir: string): Promise<LintReport> {
  const stdout = await webExt(project, ['lint', '--source-dir', sourceDir, '--output', 'json']);
  return JSON.parse(stdout) as LintReport;
}

export async function buildExtensionZips(project: string, log: (line: string) => void): Promise<ExtensionZip[]> {
  const { version } = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as { version: string };
  const ids = bundledExtensionIds();
  const outDir = join(project, 'dist/store');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const zips: ExtensionZip[] = [];
  for (const browser of ['chrome', 'firefox'] as const) {
    const sourceDir = join(project, 'dist/extension-store', browser);
    let manifest: unknown;
    try {
      manifest = JSON.parse(await readFile(join(sourceDir, 'manifest.json'), 'utf8'));
    } catch {
      throw new Error(`${sourceDir} has no manifest: run node scripts/build.mjs extension-store first`);
    }
    const problems = storeManifestProblems(browser, manifest, ids, version);
    if (problems.length > 0) throw new Error(`${sourceDir} is not a store build: ${problems.join('; ')}`);
    if (browser === 'firefox') {
      const report = await lintFirefox(project, sourceDir);
      for (const w of report.warnings) log(`web-ext lint warning ${w.code}: ${w.message}`);
      if (report.summary.errors > 0)
        throw new Error(`web-ext lint: ${report.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`);
    }
    const filename = `hpki-login-${browser}-${version}.zip`;
    await webExt(project, ['build', '--source-dir', sourceDir, '--artifacts-dir', outDir, '--filename', filename]);
    const path = join(outDir, filename);
    log(`wrote ${path} (${STORES[browser]})`);
    zips.push({ browser, path });
  }
  return zips;
}

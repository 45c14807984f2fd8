import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemToolsPresent } from '../helpers/system-tools.js';

/**
 * The npm package (`npm run package:npm`, dist/release/hpki-login-<version>.tgz) installed into an
 * empty project by `npm install` with a PATH that holds node, npm, npx and sh only: no compiler,
 * make, cmake or Python, so any package that tried to build an addon fails the install. Then
 * `npx hpki-login mock-card create` runs, `hpki-login/server` imports with the verifier, the
 * challenge stores and the routes, and a TypeScript file using both exports type-checks.
 */

const PROJECT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
const ready = systemToolsPresent('package-npm.test.ts', ['/bin/sh']);
const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
const TARBALL = join(PROJECT, 'dist/release', `hpki-login-${version}.tgz`);

const CHECK_TS = `import { createHpkiRoutes, createMemoryChallengeStore, createTokenVerifier, type TokenVerifier } from 'hpki-login/server';
import { createHpkiLoginClient, type HpkiLoginClient } from 'hpki-login/client';

export const store = createMemoryChallengeStore();
export const verifier: typeof createTokenVerifier = createTokenVerifier;
export const client: () => HpkiLoginClient = () => createHpkiLoginClient();
export const routes = createHpkiRoutes;
export type Verifier = TokenVerifier;
`;

/** A folder of links to node, npm, npx and sh: the whole PATH of the install. */
function bareToolbox(dir: string): string {
  mkdirSync(dir);
  const npm = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  const npx = realpathSync(execFileSync('sh', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim());
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync(npm, join(dir, 'npm'));
  symlinkSync(npx, join(dir, 'npx'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

describe.skipIf(!ready)('the npm package, installed with no compiler', () => {
  let work: string;
  let app: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    execFileSync('npm', ['run', 'package:npm'], { cwd: PROJECT, stdio: 'ignore', timeout: 300_000 });
    work = mkdtempSync(join(tmpdir(), 'npm-package-'));
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "empty", "private": true, "type": "module" }\n');
    env = { ...process.env, PATH: bareToolbox(join(work, 'bin')) };
    delete env.npm_config_nodedir;
    execFileSync('npm', ['install', '--no-audit', '--no-fund', TARBALL], {
      cwd: app,
      env,
      stdio: 'pipe',
      timeout: 300_000,
    });
  }, 600_000);

  afterAll(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('npx hpki-login mock-card create makes a virtual card and its PKI', () => {
    const out = execFileSync('npx', ['hpki-login', 'mock-card', 'create', '--out', 'card.json', '--pki', 'pki'], {
      cwd: app,
      env,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toMatchObject({ kind: 'hpki', revoked: false });
    expect(JSON.parse(readFileSync(join(app, 'card.json'), 'utf8'))).toBeTypeOf('object');
  });

  it('carries the demo sample 紹介状 where the installed CLI reads it', () => {
    const pdf = readFileSync(
      join(app, 'node_modules/hpki-login/server/demo/sample-documents/referral-letter-sample.pdf'),
    );
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('carries the development extension where `hpki-login demo` loads it, without source maps', () => {
    const dir = join(app, 'node_modules/hpki-login/dist/extension/chrome');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { key?: string };
    // The development build's public key gives it the ID `install-host --development` lets in.
    expect(manifest.key).toEqual(expect.any(String));
    const files = readdirSync(dir, { recursive: true }).map(String);
    expect(files).toContain('background.js');
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('hpki-login/server gives the verifier, the challenge stores, the routes and the signed-document library', () => {
    const script = [
      "const m = await import('hpki-login/server');",
      "const names = ['createTokenVerifier', 'createCertificateValidator', 'createMemoryChallengeStore',",
      "  'createRedisChallengeStore', 'createHpkiRoutes', 'handleHpkiLogin', 'createSignatureVerifier',",
      "  'prepareCades', 'finishCades', 'verifyCades', 'preparePades', 'finishPades', 'verifyPades',",
      "  'prepareXades', 'finishXades', 'verifyXades', 'createTsaClient', 'verifyTimestampToken'];",
      'console.log(JSON.stringify(names.map((n) => [n, typeof m[n]])));',
      "console.log(typeof (await import('hpki-login')).createTokenVerifier);",
    ].join('\n');
    const out = execFileSync('node', ['--input-type=module', '-e', script], { cwd: app, env, encoding: 'utf8' });
    const [exports, root] = out.trim().split('\n');
    for (const [name, type] of JSON.parse(exports ?? '[]') as [string, string][]) expect(type, name).toBe('function');
    expect(root).toBe('function');
  });

  it('both exports are typed: a TypeScript file using them type-checks', () => {
    writeFileSync(join(app, 'check.ts'), CHECK_TS);
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022', 'dom'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(PROJECT, 'node_modules/@types')],
      },
      files: ['check.ts'],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = join(PROJECT, 'node_modules/typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, env, encoding: 'utf8' });
    // The same check fails on a name the package does not export: the types are really read.
    writeFileSync(join(app, 'check.ts'), `${CHECK_TS}import { noSuchExport } from 'hpki-login/server';\n`);
    const failed = (() => {
      try {
        execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, env, encoding: 'utf8' });
        return '';
      } catch (err) {
        return String((err as { stdout?: string }).stdout);
      }
    })();
    expect(failed).toMatch(/has no exported member named 'noSuchExport'|noSuchExport/);
  });
});

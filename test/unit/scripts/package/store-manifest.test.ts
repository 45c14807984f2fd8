import { describe, expect, it } from 'vitest';
import { bundledExtensionIds } from '../../../../scripts/install/host-manifest.js';
import { storeManifestProblems } from '../../../../scripts/package/store-manifest.js';
import { composeManifest } from '../../../helpers/compose-manifest.js';

/** package:extension refuses to zip anything but the store flavour with the release ids. */

const compose = composeManifest;

const ids = bundledExtensionIds();

describe('store manifests', () => {
  it.each(['chrome', 'firefox'] as const)('the %s store build may go to its store', async (browser) => {
    expect(storeManifestProblems(browser, await compose(browser, 'store'), ids, '1.2.3')).toEqual([]);
  });

  it('the Chrome development build may not: its key and loopback development', async () => {
    expect(storeManifestProblems('chrome', await compose('chrome', 'development'), ids, '1.2.3')).toEqual([
      'carries a key (the development build: its id is public)',
      'turns loopback development on',
    ]);
  });

  it('the Firefox development build may not: loopback, and the development gecko id', async () => {
    expect(storeManifestProblems('firefox', await compose('firefox', 'development'), ids, '1.2.3')).toEqual([
      'turns loopback development on',
      `gecko id ${ids.firefox.development} is not the release id ${ids.firefox.release}`,
    ]);
  });

  it('nor a build of another version, or a Firefox build in the Chrome zip', async () => {
    expect(storeManifestProblems('chrome', await compose('chrome', 'store'), ids, '1.2.4')).toEqual([
      "version 1.2.3 is not the package's 1.2.4",
    ]);
    expect(storeManifestProblems('chrome', await compose('firefox', 'store'), ids, '1.2.3')).toEqual([
      'has Firefox settings in the Chrome build',
    ]);
  });
});

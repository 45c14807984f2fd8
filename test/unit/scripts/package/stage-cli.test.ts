import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtCliFiles, stageBuiltCli } from '../../../../scripts/package/stage-app.js';

/**
 * The packages carry the files of the last CLI build only: dist/cli is never cleaned (tests may be
 * running the build before), so chunks of earlier builds lie beside the current ones.
 */

const work = mkdtempSync(join(tmpdir(), 'stage-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let projects = 0;
function projectWith(files: Record<string, string>, outputs?: unknown): string {
  const project = join(work, `project-${++projects}`);
  mkdirSync(join(project, 'dist/cli'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(project, 'dist/cli', name), text);
  if (outputs !== undefined) writeFileSync(join(project, 'dist/cli/outputs.json'), JSON.stringify(outputs));
  return project;
}

describe('stageBuiltCli', () => {
  it("copies the build's own outputs without source maps, and leaves earlier builds' chunks behind", async () => {
    const project = projectWith(
      {
        'main.js': 'main',
        'main.js.map': '{}',
        'backend-NEW.js': 'new',
        'backend-NEW.js.map': '{}',
        'backend-OLD.js': 'stale',
        'chunk-OLD.js': 'stale',
      },
      ['backend-NEW.js', 'backend-NEW.js.map', 'main.js', 'main.js.map'],
    );
    const stage = join(work, 'stage');
    expect(await stageBuiltCli(project, stage)).toEqual(['backend-NEW.js', 'main.js']);
    expect(readdirSync(join(stage, 'dist/cli')).sort()).toEqual(['backend-NEW.js', 'main.js']);
    expect(readFileSync(join(stage, 'dist/cli/backend-NEW.js'), 'utf8')).toBe('new');
  });

  it('without the list (a build from before it), asks for a build instead of guessing', async () => {
    await expect(builtCliFiles(projectWith({ 'main.js': 'main' }))).rejects.toThrow(/run npm run build/);
  });

  it('refuses a list that is not of files inside dist/cli, or has no main.js', async () => {
    for (const outputs of [
      { main: 'main.js' },
      ['main.js', '../secret'],
      ['main.js', '/etc/passwd'],
      ['other.js'],
      [1],
    ])
      await expect(builtCliFiles(projectWith({ 'main.js': 'main' }, outputs)), JSON.stringify(outputs)).rejects.toThrow(
        /not a list of the build's files/,
      );
  });
});

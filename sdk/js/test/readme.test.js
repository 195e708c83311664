// The README's examples run as written (with a real token for 'your-api-key'), importing
// '@context0/sdk' by its package name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BASE_URL, makeToken, newUser } from './support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');

/** The first code block after a heading. */
function block(heading) {
  const section = readme.split(`${heading}\n`)[1];
  return /```typescript\n([\s\S]*?)```/.exec(section)[1];
}

test('the quickstart and the error example run as written', async () => {
  const code = block('## Quickstart').replace('your-api-key', makeToken(newUser())) + block('### Errors');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, CONTEXT0_BASE_URL: BASE_URL },
  });
  const lines = stdout.trim().split('\n');
  assert.match(lines[0], /^[0-9a-f-]{36} pending$/);
  assert.equal(lines[1], '422 VALIDATION_ERROR text');
});

test("the package resolves by its name and exports what index.d.ts declares", async () => {
  const sdk = await import('@context0/sdk');
  const declared = [...(await readFile(new URL('../src/index.d.ts', import.meta.url), 'utf8'))
    .matchAll(/^export (?:declare )?(?:const|class|function) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(declared.filter((name) => !(name in sdk)), []);
});

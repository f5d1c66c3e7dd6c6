import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { fastWorkspace } from './harness.js';

/** `invite --preview DIR` (issue 13): the email as it would go out, to open in a browser; nothing stored or sent. */

test('writes the HTML and the text, 0600, with a placeholder password; nothing stored or sent', async () => {
  const { cli, mailer, store } = await fastWorkspace({ tty: false });
  const dir = path.join(tempDir(), 'preview');
  const result = await cli(['invite', 'ann@partner.example', '--name', 'Ann', '--message', 'Welcome <aboard>', '--preview', dir]);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe(`✓ Wrote the email as it would be sent to ${dir}/invite-preview.html and ${dir}/invite-preview.txt (a placeholder password; nothing stored or sent)\n`);
  const html = fs.readFileSync(path.join(dir, 'invite-preview.html'), 'utf8');
  const text = fs.readFileSync(path.join(dir, 'invite-preview.txt'), 'utf8');
  expect(html).toContain('PREVIEW-NO-REAL-PASSWORD');
  expect(html).toContain('Welcome &lt;aboard&gt;');
  expect(text).toContain('Hello Ann,');
  expect(text).toContain('  Username:           ann@partner.example');
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  for (const file of ['invite-preview.html', 'invite-preview.txt']) expect(fs.statSync(path.join(dir, file)).mode & 0o777).toBe(0o600);
  expect(mailer.sent).toEqual([]);
  expect(await store.guests.list({ now: new Date().toISOString() })).toEqual([]);
});

test('a symbolic link where a preview file goes is refused, its target untouched', async () => {
  const { cli } = await fastWorkspace({ tty: false });
  const dir = tempDir();
  const target = path.join(dir, 'elsewhere.txt');
  fs.writeFileSync(target, 'keep me');
  fs.symlinkSync(target, path.join(dir, 'invite-preview.html'));
  const result = await cli(['invite', '--preview', dir]);
  expect([result.code, result.stderr]).toEqual([2, `cerby-guests: ${dir}/invite-preview.html is a symbolic link: not written\n`]);
  expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
});

test('one email only: several addresses or --csv are usage errors', async () => {
  const { cli } = await fastWorkspace({ tty: false });
  expect((await cli(['invite', 'a@p.example', 'b@p.example', '--preview', tempDir()])).code).toBe(2);
  expect((await cli(['invite', '--csv', 'x.csv', '--preview', tempDir()])).stderr).toContain('--preview shows one email: not with --csv or --from-import');
});

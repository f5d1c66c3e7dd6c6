// `npm run build`, second half: tsc's dist/ bundled by esbuild into dist/bundle/, which the bin
// runs (one file loads faster than a hundred modules). Built beside the old bundle and swapped
// in at the end, so a process starting meanwhile finds the old one or the new one, never a
// half-written one, and no stale chunk is left behind.
import fs from 'node:fs';
import { build } from 'esbuild';

const next = 'dist/.bundle-next';
fs.rmSync(next, { recursive: true, force: true });
await build({
  entryPoints: ['dist/main.js', 'dist/mail/smtp-worker.js'],
  outbase: 'dist',
  outdir: next,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  target: 'node20',
  logLevel: 'warning',
});
const old = `dist/.bundle-old-${process.pid}`;
if (fs.existsSync('dist/bundle')) fs.renameSync('dist/bundle', old);
fs.renameSync(next, 'dist/bundle');
fs.rmSync(old, { recursive: true, force: true });

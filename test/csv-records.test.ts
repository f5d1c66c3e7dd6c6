import fs from 'node:fs';
import path from 'node:path';
import { csvRecordBatches } from '../src/csv/records.js';
import { tempDir } from './helpers.js';

/**
 * The CSV reader a bulk run stops early (the SMTP server is down, a signal): it must end at
 * once whatever it has read, or the run never finishes.
 */

/** Until no read of a file is in flight: the reader has taken everything it will take on its own. */
async function readsSettled(): Promise<void> {
  while (process.getActiveResourcesInfo().includes('FSReqCallback')) await new Promise((resolve) => setImmediate(resolve));
}

test('leaving after the first batch, once the whole file is read and parsed, ends the reader', async () => {
  // Two reads' worth (the reader takes 256 KB at a time): the second is parsed while the first
  // batch is being used, and the parser then holds those records until someone reads them.
  const file = path.join(tempDir(), 'two-reads.csv');
  fs.writeFileSync(file, `email\n${Array.from({ length: 15_000 }, (_, i) => `guest${i}@partner.example`).join('\n')}\n`);
  expect(fs.statSync(file).size).toBeGreaterThan(256 * 1024);
  expect(fs.statSync(file).size).toBeLessThan(512 * 1024);
  const batches = csvRecordBatches(file, { delimiter: ',', relaxQuotes: true, label: 'the CSV file' }, ({ record }) => record[0]);
  const first = await batches.next();
  expect(first.done).toBe(false);
  expect((first.value as string[])[0]).toBe('email');
  expect((first.value as string[]).length).toBeLessThan(15_001);
  await readsSettled();
  await expect(batches.return(undefined)).resolves.toEqual({ done: true, value: undefined });
}, 10_000);

test('read to the end, the same file gives every record once', async () => {
  const file = path.join(tempDir(), 'all.csv');
  fs.writeFileSync(file, `email\n${Array.from({ length: 15_000 }, (_, i) => `guest${i}@partner.example`).join('\n')}\n`);
  let records = 0;
  for await (const batch of csvRecordBatches(file, { delimiter: ',', relaxQuotes: true, label: 'the CSV file' }, ({ record }) => record[0])) records += batch.length;
  expect(records).toBe(15_001);
});

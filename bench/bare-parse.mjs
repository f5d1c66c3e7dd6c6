// The floor for figure 2: csv-parse streaming the same file, doing nothing with the rows.
import fs from 'node:fs';
import { parse } from 'csv-parse';

let rows = 0;
for await (const _record of fs.createReadStream(process.argv[2]).pipe(parse({ bom: true }))) rows++;
process.stdout.write(`${rows}\n`);

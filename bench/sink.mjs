// An SMTP sink on 127.0.0.1 (random port) in its own process. Prints the port, then answers
// "count" / "reset" lines on stdin with the number of messages received.
import { SMTPServer } from 'smtp-server';
import readline from 'node:readline';

let count = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  maxClients: 64,
  onData(stream, _session, callback) {
    stream.on('data', () => {});
    stream.on('end', () => {
      count++;
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.server.address().port}\n`);
});
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') count = 0;
  if (line === 'count' || line === 'reset') process.stdout.write(`${count}\n`);
  if (line === 'quit') server.close(() => process.exit(0));
});

// A stand-in service for service-process.test.ts: says what it got from its environment, on
// stdout and stderr, and exits 0 on SIGTERM as a graylane service does (or at once with
// FIXTURE_EXIT's code).
process.stdout.write(`word=${process.env.FIXTURE_WORD} log=${process.env.LOG_LEVEL} workers=${process.env.GRAYLANE_PROXY_WORKERS}\n`);
process.stderr.write('a line on stderr\n');
// A service that dies at start, as one whose configuration it refuses.
if (process.env.FIXTURE_EXIT !== undefined) process.exit(Number(process.env.FIXTURE_EXIT));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1_000);

// A stand-in service for service-process.test.ts: says what it got from its environment, on
// stdout and stderr, and exits 0 on SIGTERM as a graylane service does.
process.stdout.write(`word=${process.env.FIXTURE_WORD} log=${process.env.LOG_LEVEL} workers=${process.env.GRAYLANE_PROXY_WORKERS}\n`);
process.stderr.write('a line on stderr\n');
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1_000);

export { runCli } from './cli.js';
export { type Output, consoleOutput } from './output.js';

export { runCli } from './cli.js';
export { type Output, consoleOutput } from './output.js';
export { readState, stackHome, type StackState, type StackProcess } from './stack/state.js';

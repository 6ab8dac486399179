import { connect } from 'node:net';

/**
 * Sends `raw` bytes on a fresh connection to 127.0.0.1:`port` and returns everything answered
 * until the connection closed or `ms` passed: for requests no HTTP client would send.
 */
export function rawExchange(port: number, raw: string, ms = 1500): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.setTimeout(ms, () => socket.destroy());
    socket.write(raw, 'latin1');
  });
}

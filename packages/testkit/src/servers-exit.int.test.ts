import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tcpAnswers } from '@graylane/stack';

/** Whether a pid is a live process; a zombie nobody reaped counts as gone. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('a test process that exits without stopping its servers', { timeout: 30_000 }, () => {
  it('kills them and removes their dirs on exit', async () => {
    // Runs the built package, as a test file that forgot stop() would; `pnpm build` comes first.
    const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    expect(existsSync(entry), `${entry} is missing: run pnpm build first`).toBe(true);
    const script = `
      import { startNats, startRedis } from ${JSON.stringify(pathToFileURL(entry).href)};
      const servers = [await startNats(), await startRedis()];
      console.log(JSON.stringify(servers.map(({ pid, port, dir }) => ({ pid, port, dir }))));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const servers = JSON.parse(stdout) as Array<{ pid: number; port: number; dir: string }>;

    expect(servers).toHaveLength(2);
    for (const server of servers) {
      expect(isAlive(server.pid), `pid ${server.pid} still runs`).toBe(false);
      expect(await tcpAnswers(server.port)).toBe(false);
      expect(existsSync(server.dir), `${server.dir} still exists`).toBe(false);
    }
  });
});

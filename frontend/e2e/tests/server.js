// Starts a real `vigie serve --demo` on 127.0.0.1 with a random port, a temporary SQLite file
// and data directory, waits for /readyz, and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..', '..');

export async function startVigie({ timeoutMs = 8 * 60 * 1000 } = {}) {
  if (process.env.VIGIE_E2E_URL) { // a demo server already running (development only)
    return { url: process.env.VIGIE_E2E_URL, seededMs: 0, stdout: () => '', logs: () => '', async stop() {} };
  }
  const bin = process.env.VIGIE_BIN || join(repo, 'bin', 'vigie');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run "make build" first (make test-e2e does)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-'));
  const args = ['serve', '--demo', '--addr', '127.0.0.1:0', '--database-url', join(dir, 'vigie.db'),
    '--data-dir', join(dir, 'data'), '--cookie-secure=false', '--scheduler=false', '--log-level', 'warn'];
  const started = Date.now();
  const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let logs = '';
  proc.stderr.on('data', (d) => { logs += d; });
  const url = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`vigie did not start in ${timeoutMs / 1000} s:\n${out}\n${logs}`)), timeoutMs);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/Vigie listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`vigie exited (${code}) before listening:\n${out}\n${logs}`)); });
  });
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url + '/readyz');
      if (r.ok) { break; }
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  const seeded = Date.now() - started;
  return {
    url, seededMs: seeded, stdout: () => out, logs: () => logs,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.on('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20000))]);
        if (proc.exitCode === null) { proc.kill('SIGKILL'); }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

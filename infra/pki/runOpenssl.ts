import { execFile } from 'node:child_process';

/** Runs the `openssl` CLI with arguments (no shell, so subjects with spaces and CJK pass verbatim) and returns stdout. */
export function runOpenssl(args: readonly string[], options: { cwd?: string; binary?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(options.binary ?? 'openssl', args, { cwd: options.cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || error.message}`));
        return;
      }
      resolve(stdout);
    });
  });
}

import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDevTsa } from '@rvw/infra/pki/ensureDevTsa';

const run = promisify(execFile);

/**
 * A local RFC 3161 time-stamping authority: a tiny HTTP server that hands each query to
 * `openssl ts -reply`, signing with a dev TSA certificate (EKU timeStamping, critical) issued by
 * the dev CA. Requests are answered one at a time (openssl updates its serial file).
 */
export async function startTsaResponder(pkiDir: string): Promise<{ url: string; requests: number; certFile: string; close(): Promise<void> }> {
  const { certFile, keyFile } = await ensureDevTsa({ pkiDir });
  const dir = path.join(pkiDir, 'tsa', 'work');
  await mkdir(dir, { recursive: true });
  const config = path.join(dir, 'ts.cnf');
  await writeFile(path.join(dir, 'serial'), '01\n');
  await writeFile(config, [
    '[ tsa ]',
    'default_tsa = tsa_config',
    '[ tsa_config ]',
    `serial = ${path.join(dir, 'serial')}`,
    `signer_cert = ${certFile}`,
    `signer_key = ${keyFile}`,
    `certs = ${path.join(pkiDir, 'ca.pem')}`,
    'signer_digest = sha256',
    'default_policy = 1.2.156.9999.1',
    'digests = sha256, sha384, sha512',
    'accuracy = secs:1',
    'ordering = yes',
    'tsa_name = yes',
    'ess_cert_id_alg = sha256',
    '',
  ].join('\n'));

  let queue = Promise.resolve();
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      queue = queue.then(async () => {
        state.requests++;
        const n = state.requests;
        const query = path.join(dir, `q${n}.tsq`);
        const reply = path.join(dir, `r${n}.tsr`);
        try {
          if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') throw new Error('bad request');
          await writeFile(query, Buffer.concat(chunks));
          await run('openssl', ['ts', '-reply', '-config', config, '-queryfile', query, '-out', reply]);
          const body = await readFile(reply);
          res.writeHead(200, { 'content-type': 'application/timestamp-reply', 'content-length': body.length }).end(body);
        } catch {
          res.writeHead(400).end();
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    get requests() {
      return state.requests;
    },
    certFile,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

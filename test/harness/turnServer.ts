import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { issueDevCertificate } from '@rvw/infra/pki/issueDevCertificate';
import { freePort } from '@rvw/infra/redis/freePort';

/** Options of {@link startTurnServer}. */
export interface TurnServerOptions {
  /** Where clients reach it (TCP, and TLS when `tls` is given). */
  listenIp: string;
  /** The address its relayed sockets are bound to: one the node's media address is reachable from. */
  relayIp: string;
  /** The REST-API secret: the node's RVW_TURN_SECRET. */
  secret: string;
  /** The only peers it relays to (the node's media address); everything else is denied, as in infra/coturn. */
  allowedPeers: string[];
  realm?: string;
  /** Listens for TURN over TCP (default true). */
  tcp?: boolean;
  /** Certificate and key (PEM): listens for TURN over TLS as well. */
  tls?: { certFile: string; keyFile: string };
}

/** A running Debian coturn (`/usr/bin/turnserver`). */
export interface TurnServer {
  listenIp: string;
  /** TCP listening port (with `tcp: false` reserved but nobody listens). */
  port: number;
  /** TLS listening port, when TLS is configured. */
  tlsPort: number | undefined;
  /** `turn:<ip>:<port>?transport=tcp`, unless TCP is off. */
  tcpUrl: string | undefined;
  /** `turns:<ip>:<tlsPort>?transport=tcp`, when TLS is configured (the certificate must name `<ip>`). */
  tlsUrl: string | undefined;
  /** Its log file (verbose): allocations, refusals (401), relayed peers. */
  logFile: string;
  log(): Promise<string>;
  /** SIGTERM (SIGKILL after 5 s) and removes its directory (unless RVW_TEST_KEEP is set). */
  dispose(): Promise<void>;
}

const TURNSERVER = '/usr/bin/turnserver';

/**
 * Starts coturn as a child process with a generated configuration: REST-API credentials
 * (`use-auth-secret`), TCP and/or TLS listeners only — no UDP, no DTLS — on free ports, relaying
 * only to `allowedPeers`, no CLI, its pid file, database and log under a temporary directory.
 * Resolves once every listener accepts connections.
 */
export async function startTurnServer(o: TurnServerOptions): Promise<TurnServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-turn-'));
  const tcp = o.tcp ?? true;
  const port = await freePort(o.listenIp);
  const tlsPort = o.tls ? await freePort(o.listenIp) : undefined;
  const logFile = path.join(dir, 'turnserver.log');
  const conf = [
    `listening-ip=${o.listenIp}`,
    `listening-port=${port}`,
    ...(o.tls && tlsPort ? [`tls-listening-port=${tlsPort}`, `cert=${o.tls.certFile}`, `pkey=${o.tls.keyFile}`, 'no-tlsv1', 'no-tlsv1_1'] : ['no-tls']),
    // A hall that lets only TCP out: no UDP listener (and no DTLS), so UDP to TURN is no way round.
    'no-udp',
    ...(tcp ? [] : ['no-tcp']),
    'no-dtls',
    // RFC 5780 would listen on port+1 as well, a port nobody reserved for it.
    'no-rfc5780',
    `relay-ip=${o.relayIp}`,
    'use-auth-secret',
    `static-auth-secret=${o.secret}`,
    `realm=${o.realm ?? 'rvw.test'}`,
    // As infra/coturn/turnserver.conf: relay towards the SFU's media address only.
    'no-multicast-peers',
    'denied-peer-ip=0.0.0.0-255.255.255.255',
    ...o.allowedPeers.map((p) => `allowed-peer-ip=${p}`),
    'fingerprint',
    // Defaults that would touch the machine: the CLI port (5766), /var/run's pid file, /var/lib/turn's database.
    'no-cli',
    `pidfile=${path.join(dir, 'turnserver.pid')}`,
    `userdb=${path.join(dir, 'turndb')}`,
    `log-file=${logFile}`,
    'simple-log',
    'no-stdout-log',
    'verbose',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'turnserver.conf');
  await writeFile(confFile, conf);
  const child = spawn(TURNSERVER, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFile(logFile, 'utf8').catch(() => '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 15_000;
  for (const p of [...(tcp ? [port] : []), ...(tlsPort ? [tlsPort] : [])]) {
    while (!(await accepts(o.listenIp, p))) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        await stop();
        throw new Error(`turnserver did not listen on ${o.listenIp}:${p}: ${stderr}\n${await log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    listenIp: o.listenIp,
    port,
    tlsPort,
    tcpUrl: tcp ? `turn:${o.listenIp}:${port}?transport=tcp` : undefined,
    tlsUrl: tlsPort ? `turns:${o.listenIp}:${tlsPort}?transport=tcp` : undefined,
    logFile,
    log,
    async dispose() {
      await stop();
      if (!process.env.RVW_TEST_KEEP) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A TLS certificate for a TURN server at an IP address, from a development CA of its own. */
export interface TurnCertificate {
  caCertFile: string;
  certFile: string;
  keyFile: string;
  /**
   * A HOME for Chromium whose NSS database (~/.pki/nssdb) trusts that CA, as a hall's managed
   * terminal would trust the government's CA: Chromium verifies a turns: server's certificate.
   */
  chromiumHome: string;
  dispose(): Promise<void>;
}

/**
 * Issues a server certificate (SAN IP:`ipAddress`, serverAuth) from the dev PKI's CA
 * (infra/pki/ensureDevPki, in a directory of its own) and a Chromium HOME that trusts the CA.
 */
export async function issueTurnCertificate(ipAddress: string): Promise<TurnCertificate> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-turn-pki-'));
  const { pkiDir, caCertFile } = await ensureDevPki({ pkiDir: path.join(dir, 'pki'), regions: [] });
  const { certFile, keyFile } = await issueDevCertificate({
    pkiDir,
    dir: path.join(pkiDir, 'turn'),
    subject: `/C=CN/O=RVW Development/CN=${ipAddress}`,
    extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', `subjectAltName=IP:${ipAddress}`],
    caCertFile,
    caKeyFile: path.join(pkiDir, 'ca-key.pem'),
  });
  const chromiumHome = path.join(dir, 'home');
  const nssdb = path.join(chromiumHome, '.pki', 'nssdb');
  await mkdir(nssdb, { recursive: true });
  const certutil = (...args: string[]) => promisify(execFile)('certutil', args, { timeout: 15_000 });
  await certutil('-N', '-d', `sql:${nssdb}`, '--empty-password');
  await certutil('-A', '-d', `sql:${nssdb}`, '-n', 'rvw-dev-ca', '-t', 'C,,', '-i', caCertFile);
  return { caCertFile, certFile, keyFile, chromiumHome, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Whether a TCP connection to host:port is accepted (closed at once). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

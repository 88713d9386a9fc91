// A synthetic client in a MediaSession (MediaSession.createPlainTransport): plain RTP with SRTP on
// a real worker, as bench:sfu-capacity's load generator uses it in place of a browser. Real VP8
// packets, encrypted once under one key (test/harness/srtpReplay.ts), go from one client's socket
// to the session and come out of the other client's consumer re-encrypted under the worker's key;
// packets under another key are dropped; DTLS and ICE requests do not apply to such a transport.
import dgram from 'node:dgram';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionRegistry, WorkerPool, type MediaSession } from '@rvw/sfu';
import { captureSrtp, type SrtpCapture } from '../harness/srtpReplay';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  socket: dgram.Socket;
  port: number;
  /** Media packets received, by SSRC (RTCP left out). */
  received: Map<number, Buffer[]>;
}

async function client(): Promise<Client> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const received = new Map<number, Buffer[]>();
  socket.on('message', (m) => {
    const pt = m[1]! & 0x7f;
    if (pt >= 72 && pt <= 76) return;
    const ssrc = m.readUInt32BE(8);
    received.set(ssrc, [...(received.get(ssrc) ?? []), m]);
  });
  return { socket, port: (socket.address() as AddressInfo).port, received };
}

/** Sends the first `seconds` of a stream at its real timing. */
async function replay(from: Client, toPort: number, packets: Buffer[], dueMs: Float64Array, seconds: number): Promise<number> {
  const start = performance.now();
  let k = 0;
  while (k < packets.length && dueMs[k]! < seconds * 1000) {
    while (k < packets.length && dueMs[k]! <= performance.now() - start) from.socket.send(packets[k++]!, toPort, '127.0.0.1');
    await sleep(2);
  }
  return k;
}

describe('a plain-RTP client with SRTP in a MediaSession (synthetic load-generator peer)', () => {
  let pool: WorkerPool;
  let registry: SessionRegistry;
  let capture: SrtpCapture;
  const clients: Client[] = [];

  beforeAll(async () => {
    const dir = path.join(os.tmpdir(), 'rvw-rtp-media');
    await mkdir(dir, { recursive: true });
    capture = await captureSrtp({ dir, seconds: 4, gop: 30, specs: [{ name: 'face', kind: 'video', kbps: 600 }] });
    pool = await WorkerPool.create({ numWorkers: 1 });
    registry = new SessionRegistry(pool, { listenIp: '127.0.0.1', minPort: 47000, maxPort: 47999 });
  });
  afterAll(async () => {
    for (const c of clients) c.socket.close();
    registry?.closeAll();
    await pool?.close();
  });

  async function twoClients(session: MediaSession, keyBase64 = capture.srtpParameters.keyBase64) {
    const [a, b] = [await client(), await client()];
    clients.push(a, b);
    const ta = await session.createPlainTransport('a', { ip: '127.0.0.1', port: a.port, srtpParameters: { ...capture.srtpParameters, keyBase64 } });
    const tb = await session.createPlainTransport('b', { ip: '127.0.0.1', port: b.port, srtpParameters: capture.srtpParameters });
    const face = capture.streams[0]!;
    const producerId = await session.produce('a', ta.id, 'video', face.rtpParameters, 'face');
    const consumer = await session.consume('b', tb.id, producerId, session.rtpCapabilities);
    await session.resumeConsumer('b', consumer.id);
    return { a, b, ta, tb, face, consumerSsrc: consumer.rtpParameters.encodings![0]!.ssrc! };
  }

  it('forwards every packet, re-encrypted under the worker\u2019s key, to the consuming client', async () => {
    const session = await registry.getOrCreate('plain-1');
    const { a, b, ta, tb, face, consumerSsrc } = await twoClients(session);
    // The answer names the worker's own port and key, not the client's.
    expect(ta.port).toBeGreaterThanOrEqual(47000);
    expect(tb.srtpParameters.cryptoSuite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(tb.srtpParameters.keyBase64).not.toBe(capture.srtpParameters.keyBase64);
    const sent = await replay(a, ta.port, face.packets, face.dueMs, 2);
    await sleep(300);
    const got = b.received.get(consumerSsrc) ?? [];
    expect(sent).toBeGreaterThan(100);
    // The stream starts on a keyframe: the consumer passes all of it, nothing is lost on loopback.
    expect(got.length).toBe(sent);
    // SRTP on the way out, under the worker's key: the same media (the consumer's header may carry
    // more extensions), other bytes.
    expect(got[5]!.length).toBeGreaterThanOrEqual(face.packets[5]!.length);
    expect(got[5]!.subarray(-200).equals(face.packets[5]!.subarray(-200))).toBe(false);
    // Nothing else but mediasoup's bandwidth probe (SSRC 1234: the consumer negotiated transport-cc).
    expect([...b.received.keys()].filter((s) => s !== 1234)).toEqual([consumerSsrc]);
  });

  it('drops packets encrypted under another key (SRTP is checked, not passed through)', async () => {
    const session = await registry.getOrCreate('plain-2');
    const wrong = Buffer.from(capture.srtpParameters.keyBase64, 'base64');
    wrong[0] = wrong[0]! ^ 0xff;
    const { a, b, ta, face, consumerSsrc } = await twoClients(session, wrong.toString('base64'));
    const sent = await replay(a, ta.port, face.packets, face.dueMs, 1);
    await sleep(300);
    expect(sent).toBeGreaterThan(50);
    expect(b.received.get(consumerSsrc) ?? []).toEqual([]);
  });

  it('refuses DTLS and ICE requests on a plain transport with TRANSPORT_NOT_FOUND', async () => {
    const session = await registry.getOrCreate('plain-3');
    const { ta } = await twoClients(session);
    await expect(session.connectTransport('a', ta.id, { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    await expect(session.restartIce('a', ta.id)).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
    // Another peer cannot use it either.
    await expect(session.produce('b', ta.id, 'audio', capture.streams[0]!.rtpParameters, 'mic')).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' });
  });
});

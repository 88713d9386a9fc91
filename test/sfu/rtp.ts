import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** Fixed RTP header fields (RFC 3550 §5.1) plus where the payload starts. */
export interface RtpHeader {
  version: number;
  padding: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Byte offset of the payload: 12 + CSRCs + header extension. */
  headerLength: number;
}

/** True for RTCP (SR/RR/SDES/BYE/APP/RTPFB/PSFB/XR: packet types 200-207, RFC 5761 §4). */
export function isRtcp(packet: Buffer): boolean {
  const packetType = packet[1];
  return packet.length >= 8 && packetType !== undefined && packetType >= 200 && packetType <= 207;
}

/** Parses an RTP header; returns undefined for anything that is not a well-formed RTP v2 packet. */
export function parseRtpHeader(packet: Buffer): RtpHeader | undefined {
  if (packet.length < 12 || isRtcp(packet)) return undefined;
  const b0 = packet.readUInt8(0);
  const b1 = packet.readUInt8(1);
  const version = b0 >> 6;
  if (version !== 2) return undefined;
  const csrcCount = b0 & 0x0f;
  let headerLength = 12 + 4 * csrcCount;
  if (b0 & 0x10) {
    if (packet.length < headerLength + 4) return undefined;
    headerLength += 4 + 4 * packet.readUInt16BE(headerLength + 2);
  }
  if (packet.length < headerLength) return undefined;
  return {
    version,
    padding: (b0 & 0x20) !== 0,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    headerLength,
  };
}

/** Builds a minimal RTP v2 packet (no CSRC, no extension). */
export function buildRtpPacket(fields: {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Buffer;
}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt8(0x80, 0);
  header.writeUInt8((fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f), 1);
  header.writeUInt16BE(fields.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(fields.timestamp >>> 0, 4);
  header.writeUInt32BE(fields.ssrc >>> 0, 8);
  return Buffer.concat([header, fields.payload]);
}

/** A UDP socket on 127.0.0.1 that records every datagram it receives. */
export interface UdpSink {
  socket: dgram.Socket;
  port: number;
  packets: Buffer[];
  close(): Promise<void>;
}

/** Binds a recording UDP socket on 127.0.0.1:0. */
export async function startUdpSink(): Promise<UdpSink> {
  const socket = dgram.createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (msg) => packets.push(msg));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    socket,
    port: (socket.address() as AddressInfo).port,
    packets,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Payload carried by sendOpusLikeRtp(): recognisable marker + packet index, padded to 48 bytes. */
export function generatorPayload(index: number): Buffer {
  const payload = Buffer.alloc(48, 0x5a);
  // 0x78 = Opus TOC byte (config 15 = hybrid FB 20 ms, mono, one frame); then an ASCII marker.
  payload.writeUInt8(0x78, 0);
  payload.write('RVW-PLAINTEXT', 1, 'ascii');
  payload.writeUInt32BE(index, 14);
  return payload;
}

/** The ASCII marker inside generatorPayload(); must never be visible on an encrypted hop. */
export const GENERATOR_MARKER = Buffer.from('RVW-PLAINTEXT', 'ascii');

/** Sends `count` RTP packets (20 ms of 48 kHz audio each, every `intervalMs`) from a fresh socket to 127.0.0.1:port. */
export async function sendRtpStream(options: {
  port: number;
  ssrc: number;
  payloadType: number;
  count: number;
  intervalMs?: number;
}): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  const sent: Buffer[] = [];
  const intervalMs = options.intervalMs ?? 20;
  try {
    for (let i = 0; i < options.count; i++) {
      const packet = buildRtpPacket({
        payloadType: options.payloadType,
        sequenceNumber: 1000 + i,
        timestamp: 50_000 + i * 960,
        ssrc: options.ssrc,
        marker: i === 0,
        payload: generatorPayload(i),
      });
      await new Promise<void>((resolve, reject) =>
        socket.send(packet, options.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
      sent.push(packet);
      await sleep(intervalMs);
    }
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return sent;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every 25 ms until it is true or `timeoutMs` elapses; returns its last value. */
export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Like waitFor() for an async predicate (e.g. one that reads mediasoup stats). */
export async function waitForAsync(predicate: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

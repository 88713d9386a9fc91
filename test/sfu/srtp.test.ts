// Real mediasoup-worker, real SRTP (Debian libsrtp2 2.5 via the patched worker), for every crypto
// suite mediasoup 3.15.8 offers:
//
//   generator --RTP--> P (plain) -> producer0 -> consumerA on A (SRTP)
//     --SRTP--> relay (records the encrypted hop) --SRTP--> B (SRTP) -> producerB
//     -> consumerOut on Out (plain) --RTP--> sink
//
// Media only reaches the sink if B decrypts what A encrypted; with a wrong key nothing must arrive.
import { assertWorkerBinary } from '@rvw/sfu/workerBinary';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import {
  GENERATOR_MARKER,
  generatorPayload,
  isRtcp,
  parseRtpHeader,
  sendRtpStream,
  sleep,
  startUdpSink,
  waitFor,
} from './rtp';

assertWorkerBinary();

const SUITES: readonly types.SrtpCryptoSuite[] = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
];
/** SRTP authentication tag bytes appended to each RTP packet (RFC 7714 §7, RFC 3711 §5.2). */
const RTP_TAG_LENGTH: Record<types.SrtpCryptoSuite, number> = {
  AEAD_AES_256_GCM: 16,
  AEAD_AES_128_GCM: 16,
  AES_CM_128_HMAC_SHA1_80: 10,
  AES_CM_128_HMAC_SHA1_32: 4,
};
/** Master key + salt bytes (RFC 7714 §12, RFC 3711 §8.2). */
const MASTER_LENGTH: Record<types.SrtpCryptoSuite, number> = {
  AEAD_AES_256_GCM: 32 + 12,
  AEAD_AES_128_GCM: 16 + 12,
  AES_CM_128_HMAC_SHA1_80: 16 + 14,
  AES_CM_128_HMAC_SHA1_32: 16 + 14,
};
const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
];
const GENERATOR_SSRC = 0x22223333;
const GENERATOR_PT = 111;
const PACKET_COUNT = 40;
const PAYLOAD_LENGTH = generatorPayload(0).length;
const LISTEN: types.TransportListenInfo = { protocol: 'udp', ip: '127.0.0.1' };

/** UDP relay between A and B that records A->B datagrams; both transports see it as their peer. */
async function startRelay() {
  const socket = dgram.createSocket('udp4');
  const aToB: Buffer[] = [];
  const ports = { a: 0, b: 0 };
  socket.on('message', (msg, rinfo) => {
    if (rinfo.port === ports.a) {
      aToB.push(msg);
      socket.send(msg, ports.b, '127.0.0.1');
    } else if (rinfo.port === ports.b) {
      socket.send(msg, ports.a, '127.0.0.1');
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: (socket.address() as AddressInfo).port,
    ports,
    aToB,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('mediasoup PlainTransport SRTP hop, every crypto suite', () => {
  let worker: types.Worker;

  beforeAll(async () => {
    worker = await mediasoup.createWorker({ logLevel: 'warn' });
  });

  afterAll(async () => {
    if (worker && !worker.closed) {
      const dump = await worker.dump();
      expect(dump.routerIds).toEqual([]);
      worker.close();
    }
  });

  /** Builds the chain for `suite`, pushes PACKET_COUNT generator packets through it, tears it down. */
  async function runChain(suite: types.SrtpCryptoSuite, opts: { wrongKeyOnB: boolean }) {
    const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    const sink = await startUdpSink();
    const relay = await startRelay();
    try {
      const input = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
      const producer0 = await input.produce({
        kind: 'audio',
        rtpParameters: {
          codecs: [{ mimeType: 'audio/opus', payloadType: GENERATOR_PT, clockRate: 48000, channels: 2 }],
          encodings: [{ ssrc: GENERATOR_SSRC }],
        },
      });

      const a = await router.createPlainTransport({ listenInfo: LISTEN, enableSrtp: true, srtpCryptoSuite: suite });
      const b = await router.createPlainTransport({ listenInfo: LISTEN, enableSrtp: true, srtpCryptoSuite: suite });
      const aParams = a.srtpParameters;
      const bParams = b.srtpParameters;
      if (!aParams || !bParams) throw new Error('enableSrtp transport has no srtpParameters');
      expect(aParams.cryptoSuite).toBe(suite);
      expect(Buffer.from(aParams.keyBase64, 'base64').length).toBe(MASTER_LENGTH[suite]);
      expect(aParams.keyBase64).not.toBe(bParams.keyBase64);

      relay.ports.a = a.tuple.localPort;
      relay.ports.b = b.tuple.localPort;
      // Each side decrypts with the other's key (its own key encrypts what it sends).
      await a.connect({ ip: '127.0.0.1', port: relay.port, srtpParameters: bParams });
      const keyForB = opts.wrongKeyOnB
        ? { cryptoSuite: suite, keyBase64: randomBytes(MASTER_LENGTH[suite]).toString('base64') }
        : aParams;
      await b.connect({ ip: '127.0.0.1', port: relay.port, srtpParameters: keyForB });
      expect(a.srtpParameters).toEqual(aParams);

      const consumerA = await a.consume({ producerId: producer0.id, rtpCapabilities: router.rtpCapabilities });
      // B receives exactly what consumerA sends, like a pipe transport.
      const producerB = await b.produce({ kind: 'audio', rtpParameters: consumerA.rtpParameters });

      const out = await router.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
      await out.connect({ ip: '127.0.0.1', port: sink.port });
      const consumerOut = await out.consume({ producerId: producerB.id, rtpCapabilities: router.rtpCapabilities });
      const outSsrc = consumerOut.rtpParameters.encodings?.[0]?.ssrc;
      const outPt = consumerOut.rtpParameters.codecs[0]?.payloadType;

      await sendRtpStream({
        port: input.tuple.localPort,
        ssrc: GENERATOR_SSRC,
        payloadType: GENERATOR_PT,
        count: PACKET_COUNT,
      });
      const sinkRtp = () => sink.packets.filter((p) => parseRtpHeader(p)?.ssrc === outSsrc);
      const hopRtp = () => relay.aToB.filter((p) => !isRtcp(p));
      if (opts.wrongKeyOnB) {
        // Waits for the packets (on a loaded machine they come late); the 300 ms after is the window
        // in which nothing may be delivered.
        await waitFor(() => hopRtp().length >= PACKET_COUNT, 15_000);
        await sleep(300);
      } else {
        await waitFor(() => sinkRtp().length >= PACKET_COUNT, 15_000);
      }

      const result = {
        hop: hopRtp(),
        delivered: sinkRtp(),
        outPt,
        producer0Stats: await producer0.getStats(),
        producerBStats: await producerB.getStats(),
        bStats: (await b.getStats())[0],
      };
      input.close();
      a.close();
      b.close();
      out.close();
      return result;
    } finally {
      router.close();
      await relay.close();
      await sink.close();
    }
  }

  for (const suite of SUITES) {
    it(`${suite}: media traverses the encrypted hop and is decrypted`, async () => {
      const r = await runChain(suite, { wrongKeyOnB: false });

      // The generator's packets all entered the chain.
      expect(r.producer0Stats[0]?.packetCount).toBe(PACKET_COUNT);

      // The A->B hop carried SRTP: clear RTP header, encrypted payload, suite-sized auth tag.
      expect(r.hop.length).toBeGreaterThanOrEqual(PACKET_COUNT);
      for (const packet of r.hop) {
        const header = parseRtpHeader(packet);
        expect(header?.version).toBe(2);
        expect(packet.length - (header?.headerLength ?? 0) - PAYLOAD_LENGTH).toBe(RTP_TAG_LENGTH[suite]);
        expect(packet.includes(GENERATOR_MARKER)).toBe(false);
      }

      // B decrypted every packet: its producer saw them and the sink got the original payloads.
      expect(r.producerBStats[0]?.packetCount).toBe(PACKET_COUNT);
      expect(r.bStats?.rtpBytesReceived).toBeGreaterThan(0);
      expect(r.delivered.length).toBe(PACKET_COUNT);
      r.delivered.forEach((packet, i) => {
        const header = parseRtpHeader(packet);
        expect(header?.version).toBe(2);
        expect(header?.payloadType).toBe(r.outPt);
        expect(packet.subarray(header?.headerLength ?? 0).toString('hex')).toBe(generatorPayload(i).toString('hex'));
      });
    });

    it(`${suite}: with a wrong key on B nothing gets through`, async () => {
      const r = await runChain(suite, { wrongKeyOnB: true });

      // A still encrypted and sent everything...
      expect(r.producer0Stats[0]?.packetCount).toBe(PACKET_COUNT);
      expect(r.hop.length).toBeGreaterThanOrEqual(PACKET_COUNT);
      // ...but B rejected all of it (authentication failure), so nothing reached the sink.
      expect(r.producerBStats.reduce((n, s) => n + s.packetCount, 0)).toBe(0);
      expect(r.delivered.length).toBe(0);
    });
  }
});

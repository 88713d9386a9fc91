import type { types } from 'mediasoup';
import type { CallService } from '../../calls/CallService.js';
import type { RequestType } from '@rvw/protocol/messages';
import type { Handler } from '../handlerTypes.js';

/** The media request types (mediasoup's model plus join/leave). */
export type MediaRequestType = Extract<
  RequestType,
  | 'session.join'
  | 'desk.join'
  | 'session.link'
  | 'session.leave'
  | 'getRouterRtpCapabilities'
  | 'createWebRtcTransport'
  | 'connectTransport'
  | 'openDataChannel'
  | 'produce'
  | 'closeProducer'
  | 'consume'
  | 'resumeConsumer'
  | 'restartIce'
  | 'ping'
>;

/** Handlers for the media requests; every id is resolved inside the caller's own peer. */
export function mediaHandlers(calls: CallService): { [T in MediaRequestType]: Handler<T> } {
  return {
    'session.join': (conn, r) => calls.join(conn, r.sessionId, r.peerId, r.resumeTransportIds, r.rtpCapabilities as types.RtpCapabilities | undefined),
    'desk.join': (conn, r) => calls.joinDesk(conn, r.peerId, r.resumeTransportIds, r.rtpCapabilities as types.RtpCapabilities | undefined),
    'session.link': (conn, r) => calls.link(conn, r.sessionId),
    'session.leave': async (conn) => {
      calls.leave(conn);
      return { left: true };
    },
    // Outside a call: the capabilities every router of this node has (clients preload their Device).
    getRouterRtpCapabilities: async (conn) => (conn.sessionId ? calls.mediaOf(conn).session.rtpCapabilities : calls.routerCapabilities()),
    createWebRtcTransport: (conn, r) => calls.createTransport(conn, r.direction),
    openDataChannel: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      return session.openDataChannel(peerId, r.transportId);
    },
    connectTransport: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      await session.connectTransport(peerId, r.transportId, r.dtlsParameters as types.DtlsParameters);
      return { connected: true };
    },
    produce: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      const producerId = await session.produce(peerId, r.transportId, r.kind, r.rtpParameters as types.RtpParameters, r.source);
      return { producerId };
    },
    closeProducer: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      session.closeProducer(peerId, r.producerId);
      return { closed: true };
    },
    consume: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      return session.consume(peerId, r.transportId, r.producerId, r.rtpCapabilities as types.RtpCapabilities);
    },
    resumeConsumer: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      await session.resumeConsumer(peerId, r.consumerId);
      return { resumed: true };
    },
    restartIce: async (conn, r) => {
      const { session, peerId } = calls.mediaOf(conn);
      return { iceParameters: await session.restartIce(peerId, r.transportId) };
    },
    ping: async () => ({ pong: Date.now() }),
  };
}

import type { types } from 'mediasoup';

/**
 * Resumes `pipe` (a paused pipe consumer feeding a copy in another router) once `transport` is
 * DTLS-connected, at once if it is: the pipe's start asks the sender for a keyframe, which must
 * find a consumer able to pass it on (Chrome ignores a second request within 300 ms).
 */
export function startWhenConnected(transport: types.WebRtcTransport, pipe: types.Consumer): void {
  const start = () => {
    if (!pipe.closed && pipe.paused) void pipe.resume().catch(() => undefined);
  };
  if (transport.dtlsState === 'connected') return start();
  // Listen before anything is awaited: the handshake may complete meanwhile.
  const onState = (state: types.DtlsState) => {
    if (state !== 'connected') return;
    transport.removeListener('dtlsstatechange', onState);
    start();
  };
  transport.on('dtlsstatechange', onState);
}

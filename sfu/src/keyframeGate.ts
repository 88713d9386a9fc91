import type { types } from 'mediasoup';
import type { PeerTransport } from './PeerMedia.js';
import type { PictureStarts } from './PictureStarts.js';

/**
 * Resumes `pipe` (a paused pipe consumer feeding a copy in another router) once `transport` is
 * DTLS-connected (a plain transport has its keys from its connect: at once), at once if it is: the pipe's start asks the sender for a keyframe, which must
 * find a consumer able to pass it on (Chrome ignores a second request within 300 ms). Whoever
 * waits for the picture's start in `starts` goes just before it.
 */
export function startWhenConnected(transport: PeerTransport, pipe: types.Consumer, starts: PictureStarts): void {
  const start = () => {
    if (pipe.closed || !pipe.paused) return;
    starts.starting(pipe.producerId);
    void pipe.resume().catch(() => undefined);
  };
  if (transport.type === 'plain' || transport.dtlsState === 'connected') return start();
  // Listen before anything is awaited: the handshake may complete meanwhile.
  const onState = (state: types.DtlsState) => {
    if (state !== 'connected') return;
    transport.removeListener('dtlsstatechange', onState);
    start();
  };
  transport.on('dtlsstatechange', onState);
}

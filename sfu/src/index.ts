/** The SFU: mediasoup worker pool, one router per call session, WebRTC transports. */
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolEvents } from './WorkerPool.js';
export { MediaSession, type MediaSessionOptions, type StartRecordingOptions } from './MediaSession.js';
export { SessionRegistry, type SessionRegistryEvents } from './SessionRegistry.js';
export { SfuError } from './SfuError.js';
export { RegionPipe, type PipeEndpoint, type PipedProducer, type RegionPipeEvents, type RegionPipeOptions } from './RegionPipe.js';
export { MEDIA_CODECS } from './mediaCodecs.js';
export type {
  ConsumerParams,
  DataChannelParams,
  MediaSessionCounts,
  MediaSessionEvents,
  MediaSource,
  ProducerInfo,
  TransportListenOptions,
  TransportParams,
} from './MediaSessionTypes.js';

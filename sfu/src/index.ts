/** The SFU: mediasoup worker pool, one router per call session, WebRTC transports. */
export { WorkerPool, type WorkerPoolOptions, type WorkerPoolEvents } from './WorkerPool';
export { MediaSession, type MediaSessionOptions } from './MediaSession';
export { SessionRegistry, type SessionRegistryEvents } from './SessionRegistry';
export { SfuError } from './SfuError';
export { RegionPipe, type PipeEndpoint, type PipedProducer, type RegionPipeEvents, type RegionPipeOptions } from './RegionPipe';
export { MEDIA_CODECS } from './mediaCodecs';
export type {
  ConsumerParams,
  DataChannelParams,
  MediaSessionCounts,
  MediaSessionEvents,
  MediaSource,
  ProducerInfo,
  TransportListenOptions,
  TransportParams,
} from './MediaSessionTypes';

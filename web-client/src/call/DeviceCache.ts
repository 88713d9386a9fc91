import { Device, type types } from 'mediasoup-client';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';

/**
 * The page's loaded mediasoup Devices, by router capabilities. Every router of a node offers the
 * same codecs, so the (slow) Device.load — a throw-away RTCPeerConnection offer — runs once per
 * page, ideally at page load. One per page, created by the page and handed to its calls.
 */
export class DeviceCache {
  readonly #devices = new Map<string, Promise<Device>>();
  /** The Device loaded at page load, if any: its capabilities go with the join (server-made consumers). */
  #preloaded: Promise<Device> | undefined;

  /** A loaded Device for these router capabilities, shared across calls. */
  load(routerRtpCapabilities: types.RtpCapabilities): Promise<Device> {
    const key = JSON.stringify(routerRtpCapabilities);
    let device = this.#devices.get(key);
    if (!device) {
      device = (async () => {
        const d = new Device();
        await d.load({ routerRtpCapabilities });
        return d;
      })();
      this.#devices.set(key, device);
      device.catch(() => this.#devices.delete(key));
    }
    return device;
  }

  /** Loads the Device before the first call (the node answers getRouterRtpCapabilities outside a session too). */
  async preload(signal: SignalClient): Promise<void> {
    this.#preloaded ??= signal.request('getRouterRtpCapabilities', {}).then((c) => this.load(c));
    this.#preloaded.catch(() => (this.#preloaded = undefined));
    await this.#preloaded;
  }

  /** The preloaded Device, or undefined when none was (or its loading failed). */
  preloaded(): Promise<Device | undefined> {
    return this.#preloaded?.catch(() => undefined) ?? Promise.resolve(undefined);
  }
}

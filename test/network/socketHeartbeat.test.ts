import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignalClient, SILENT_CLOSE_CODE, type SocketLike } from '@rvw/protocol/client/SignalClient';
import { startTestNode, type TestNode } from '../harness/testNode';

/**
 * A peer that dies without closing TCP (a counter's power cut, a node's machine lost, a cut line)
 * leaves the other side's socket open until TCP gives up, minutes later. Here a TCP relay between
 * a real node and its client stops forwarding without closing anything — a black hole, as such a
 * death looks from either side — and each side must notice by its own heartbeat.
 */
class BlackHoleRelay {
  #frozen = false;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(target: { host: string; port: number }) {
    this.#server = net.createServer((down) => {
      const up = net.connect(target.port, target.host);
      for (const s of [down, up]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      down.on('data', (d) => this.#frozen || up.write(d));
      up.on('data', (d) => this.#frozen || down.write(d));
    });
  }

  static async start(target: { host: string; port: number }): Promise<BlackHoleRelay> {
    const relay = new BlackHoleRelay(target);
    await new Promise<void>((r) => relay.#server.listen(0, '127.0.0.1', r));
    return relay;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Bytes in either direction vanish from now on; nothing is closed. */
  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => this.#server.close(r));
  }
}

describe('sockets whose peer died without closing TCP', () => {
  let t: TestNode;
  let relay: BlackHoleRelay;
  let cookie: { name: string; value: string };

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_WS_HEARTBEAT_MS: '300' } });
    cookie = (await t.counter()).cookie;
    const { hostname, port } = new URL(t.origin);
    relay = await BlackHoleRelay.start({ host: hostname, port: Number(port) });
  });

  afterAll(async () => {
    await relay?.close();
    await t?.dispose();
  });

  /** A counter terminal's socket to the node through the relay. */
  async function counterSocket(): Promise<SocketLike & WebSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/ws`, { headers: { origin: t.origin, cookie: `${cookie.name}=${cookie.value}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    return ws as SocketLike & WebSocket;
  }

  it('the node closes a socket that stopped answering its pings', async () => {
    relay.thaw();
    const before = t.node.hub.size;
    const ws = await counterSocket();
    expect(t.node.hub.size).toBe(before + 1);
    // Answering pings (the ws package pongs by itself): kept across several intervals.
    await new Promise((r) => setTimeout(r, 1000));
    expect(t.node.hub.size).toBe(before + 1);
    relay.freeze();
    const frozenAt = Date.now();
    await expect.poll(() => t.node.hub.size, { timeout: 5000, interval: 50 }).toBe(before);
    // Within two intervals of the last answer, plus the timer's own phase.
    expect(Date.now() - frozenAt).toBeLessThan(1500);
    ws.terminate();
  });

  it('a client with a heartbeat gives up a silent server and reconnects by itself; one without stays on the dead socket', async () => {
    relay.thaw();
    const states: { at: number; code?: number; state?: string }[] = [];
    const make = (heartbeatMs?: number) =>
      new SignalClient({
        url: `ws://127.0.0.1:${relay.port}/ws`,
        createSocket: (url) => new WebSocket(url, { headers: { origin: t.origin, cookie: `${cookie.name}=${cookie.value}` } }) as unknown as SocketLike,
        ...(heartbeatMs ? { heartbeatMs, onClose: (code: number) => states.push({ at: Date.now(), code }), onStateChange: (state: string) => states.push({ at: Date.now(), state }) } : {}),
      });
    const watched = make(400);
    const unwatched = make();
    try {
      await Promise.all([watched.connect(), unwatched.connect()]);
      expect(await watched.request('ping', {})).toMatchObject({ pong: expect.any(Number) });
      relay.freeze();
      const frozenAt = Date.now();
      await expect.poll(() => states.find((s) => s.code !== undefined)?.code, { timeout: 5000, interval: 50 }).toBe(SILENT_CLOSE_CODE);
      const gaveUpAfter = states.find((s) => s.code !== undefined)!.at - frozenAt;
      // Silence for one interval, a ping unanswered for another, the check's half-interval phase.
      expect(gaveUpAfter).toBeGreaterThanOrEqual(400);
      expect(gaveUpAfter).toBeLessThan(2000);
      // Without a heartbeat nothing is noticed: the socket still reads as open.
      expect(unwatched.isOpen).toBe(true);
      // The line comes back: the watched client is connected again, and requests flow, with no call from outside.
      relay.thaw();
      await expect.poll(() => watched.isOpen, { timeout: 10_000, interval: 50 }).toBe(true);
      expect(await watched.request('ping', {})).toMatchObject({ pong: expect.any(Number) });
      expect(states.filter((s) => s.state === 'open').length).toBeGreaterThanOrEqual(2);
    } finally {
      watched.close();
      unwatched.close();
    }
  });
});

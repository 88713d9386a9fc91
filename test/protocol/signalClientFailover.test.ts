import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { SignalClient, type SocketLike } from '@rvw/protocol/client/SignalClient';

/**
 * A stand-in node speaking just enough of the protocol: it answers `cluster.nodes` with `nodes`
 * and counts the sockets it took. (The real node and pages are in test/cluster/nodeKillHandover.)
 */
async function fakeNode(nodes: () => string[]): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let accepted = 0;
  wss.on('connection', (ws) => {
    accepted++;
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id: number; type: string };
      const data = m.type === 'cluster.nodes' ? { nodes: nodes().map((url, i) => ({ nodeId: `n${i}`, url })) } : { pong: 1 };
      ws.send(JSON.stringify({ type: 'response', id: m.id, ok: true, data }));
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/ws`;
  return {
    url,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function client(url: string, extra: { connectTimeoutMs?: number } = {}): SignalClient {
  const c = new SignalClient({ url, discoverNodes: true, createSocket: (u) => new WebSocket(u) as unknown as SocketLike, ...extra });
  cleanups.push(() => c.close());
  return c;
}

describe('SignalClient moves to another node of the region when its own dies', () => {
  it('learns the region’s nodes after opening, and when its node is gone connects to the next one', async () => {
    const b2 = await fakeNode(() => []);
    const b = await fakeNode(() => [b.url, b2.url]);
    cleanups.push(b2.close);
    const c = client(b.url);
    await c.connect();
    await expect.poll(() => c.candidates).toEqual([b.url, b2.url]);
    await b.close();
    await expect.poll(() => c.isOpen && c.url === b2.url).toBe(true);
    expect(b2.accepted()).toBe(1);
    // Requests flow on the new socket.
    expect(await c.request('ping', {})).toEqual({ pong: 1 });
  });

  it('a node that accepts TCP but never answers is given up after connectTimeoutMs, then the next one is tried', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `ws://127.0.0.1:${(silent.address() as net.AddressInfo).port}/ws`;
    cleanups.push(() => new Promise<void>((r) => {
      for (const s of held) s.destroy();
      silent.close(() => r());
    }));
    const good = await fakeNode(() => []);
    cleanups.push(good.close);
    // The page's node knows both; it dies, and the first candidate after it hangs.
    const first = await fakeNode(() => [first.url, silentUrl, good.url]);
    const c = client(first.url, { connectTimeoutMs: 600 });
    await c.connect();
    await expect.poll(() => c.candidates).toEqual([first.url, silentUrl, good.url]);
    await first.close();
    await expect.poll(() => c.isOpen && c.url === good.url).toBe(true);
    expect(good.accepted()).toBe(1);
    // It did knock at the silent one (and gave up on it) on the way.
    expect(held.length).toBeGreaterThanOrEqual(1);
  });
});

"""A wire with a delay, for kernels without sch_netem (this test machine's has none).

  delayLine.py bridge DEV_A DEV_B DELAY_MS [LOSS [RATE_KBPS [SEED]]]
                                             forwards every Ethernet frame arriving on DEV_A to DEV_B
                                             and back, each DELAY_MS late, in order (netem delay
                                             without jitter, in both directions); LOSS (0..1) drops
                                             each IP frame at random in each direction, and
                                             RATE_KBPS caps each direction to that rate, frames
                                             queueing behind each other (tail drop past 200 ms of
                                             queue), like netem loss / tbf rate
  delayLine.py ping HOST COUNT              ICMP echo round trips in ms, one a line (no ping here)
  delayLine.py no-tx-csum DEV                turns off transmit checksum offload of DEV (ethtool -K
                                             DEV tx off): a veth otherwise hands frames on with
                                             UDP checksums left for hardware that is not there, and
                                             a frame copied through a packet socket arrives broken

Run inside the namespace holding the devices (ip netns exec). Debian's python3 standard library only.
"""
import collections
import ctypes
import fcntl
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17


def no_tx_csum(dev: str) -> None:
    value = ctypes.create_string_buffer(struct.pack('II', ETHTOOL_STXCSUM, 0))
    ifreq = struct.pack('16sP', dev.encode(), ctypes.addressof(value))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, ifreq)


def open_dev(dev: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((dev, 0))
    s.setblocking(False)
    return s


# A rate-capped direction drops a frame that would wait longer than this behind the others.
QUEUE_LIMIT_S = 0.2
ETH_P_IP = 0x0800


def bridge(dev_a: str, dev_b: str, delay_ms: float, loss: float = 0.0, rate_kbps: float = 0.0, seed: int = 1) -> None:
    delay = delay_ms / 1000
    rng = random.Random(seed)
    a, b = open_dev(dev_a), open_dev(dev_b)
    other = {a: b, b: a}
    # Frames received on a socket, waiting to leave by the other: (due time, frame), in order.
    queues = {a: collections.deque(), b: collections.deque()}
    # When each direction's link is free again (rate cap).
    free_at = {a: 0.0, b: 0.0}
    print('ready', flush=True)
    while True:
        heads = [q[0][0] for q in queues.values() if q]
        timeout = max(0.0, min(heads) - time.monotonic()) if heads else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        for s in readable:
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                # A packet socket also sees what is sent through its device (by us): not again.
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                now = time.monotonic()
                # Loss on IP frames only (ARP keeps the link up, as on a lossy path).
                if loss > 0 and len(frame) > 14 and struct.unpack('!H', frame[12:14])[0] == ETH_P_IP and rng.random() < loss:
                    continue
                due = now + delay
                if rate_kbps > 0:
                    start = max(now, free_at[s])
                    if start - now > QUEUE_LIMIT_S:
                        continue
                    free_at[s] = start + len(frame) * 8 / (rate_kbps * 1000)
                    due = free_at[s] + delay
                queues[s].append((due, frame))
        now = time.monotonic()
        for s, q in queues.items():
            while q and q[0][0] <= now:
                try:
                    other[s].send(q.popleft()[1])
                except OSError:
                    # A full device queue drops the frame, as a wire would.
                    pass


def icmp_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack(f'!{len(data) // 2}H', data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ping(host: str, count: int) -> None:
    """ICMP echo (what ping does, for machines without iputils-ping): prints each round trip in ms."""
    ident = 0x5256
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        s.settimeout(2)
        for seq in range(count):
            body = struct.pack('!d', time.monotonic()) + b'rvw-ping'
            header = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
            packet = struct.pack('!BBHHH', 8, 0, icmp_checksum(header + body), ident, seq) + body
            sent = time.monotonic()
            s.sendto(packet, (host, 0))
            while True:
                reply = s.recv(2048)
                ihl = (reply[0] & 0x0F) * 4
                kind, _, _, rid, rseq = struct.unpack('!BBHHH', reply[ihl:ihl + 8])
                if kind == 0 and rid == ident and rseq == seq:
                    break
            print(f'{(time.monotonic() - sent) * 1000:.3f}', flush=True)
            time.sleep(0.2)


if __name__ == '__main__':
    if sys.argv[1] == 'no-tx-csum':
        no_tx_csum(sys.argv[2])
    elif sys.argv[1] == 'ping':
        ping(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == 'bridge':
        extra = [float(x) for x in sys.argv[5:7]]
        bridge(sys.argv[2], sys.argv[3], float(sys.argv[4]), *extra, *([int(sys.argv[7])] if len(sys.argv) > 7 else []))
    else:
        sys.exit(f'unknown command {sys.argv[1]}')

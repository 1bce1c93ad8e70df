#!/usr/bin/env python3
"""A delay line standing in for a WAN between the login and Okta (this
kernel has no netem): a TCP forwarder on loopback that holds every chunk
for half the round-trip time in each direction.  A new connection's first
bytes to the server wait one extra round trip, the TCP handshake a real
network would cost.

    delay_line.py --to HOST:PORT --rtt-ms 80     # prints the port it listens on

Runs until stdin closes; a separate process, so its CPU is its own.
"""

import argparse
import asyncio
import sys


async def pipe(reader, writer, delay, first_extra):
    """Reads as data comes, stamps each chunk with its due time, and writes
    it then: chunks that arrive together leave together."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read():
        extra = first_extra
        try:
            while True:
                data = await reader.read(65536)
                await queue.put((loop.time() + delay + extra, data))
                extra = 0.0
                if not data:
                    return
        except (ConnectionError, OSError):
            await queue.put((loop.time(), b""))

    async def write():
        try:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except OSError:
                pass

    await asyncio.gather(read(), write())


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--to", required=True)
    ap.add_argument("--rtt-ms", type=float, required=True)
    ap.add_argument("--listen-port", type=int, default=0)
    args = ap.parse_args()
    host, port = args.to.rsplit(":", 1)
    half = args.rtt_ms / 2000.0

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.open_connection(host, int(port))
        except OSError:
            cw.close()
            return
        try:
            await asyncio.gather(pipe(cr, sw, half, 2 * half), pipe(sr, cw, half, 0.0))
        except asyncio.CancelledError:
            pass  # shutting down

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen_port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())

"""Fetch benchmark: 200 feed jobs against a local server (127.0.0.1 only) that answers every
request after 200 ms, run through `harken.sources.run_jobs` concurrently and then one by one.

Prints both wall times, the speed-up (target: at least 50x) and peak memory. Takes about
45 s, almost all of it the sequential pass (200 x 200 ms). Exit status 1 if the target is missed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from harken.sources import Cursor, FetchContext, FetchJob, run_jobs  # noqa: E402

JOBS = 200
DELAY = 0.2
TARGET = 50.0
FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench</title><link>https://bench.example/</link>
<item><title>Acme Cloud restores failing</title><link>https://bench.example/a</link>
<pubDate>Tue, 10 Mar 2026 03:44:51 +0000</pubDate><description>&lt;p&gt;Acme Cloud &amp;amp; restores&lt;/p&gt;</description></item>
<item><title>Which backup service should I buy?</title><link>https://bench.example/b</link>
<pubDate>Mon, 09 Mar 2026 10:31:20 PST</pubDate><description>Backblaze vs Acme-Cloud</description></item>
</channel></rss>"""


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Minimal HTTP/1.1 with keep-alive: every request is answered after DELAY seconds."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n" % len(FEED)
    try:
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            if not request:
                break
            await asyncio.sleep(DELAY)
            writer.write(head + FEED)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    async def run() -> None:
        server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
        port_queue.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(run())


def main() -> int:
    # The server runs in its own process so it does not compete with the client for the GIL.
    ports: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_serve, args=(ports,), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    jobs = [
        FetchJob(watch_id=f"w_{i}", tenant_id="t", source={"type": "rss", "url": f"{base}/feed/{i}.xml"})
        for i in range(JOBS)
    ]
    ctx = FetchContext(allow_private=True, timeout=10.0, retries=1)
    try:
        asyncio.run(run_jobs([(jobs[0], Cursor())], ctx))  # warm-up: imports, SSL context
        started = time.perf_counter()
        outcomes = asyncio.run(run_jobs([(job, Cursor()) for job in jobs], ctx))
        concurrent = time.perf_counter() - started
        failed = [o for o in outcomes if o.error]
        items = sum(len(o.result.items) for o in outcomes if o.result)
        print(f"concurrent: {JOBS} jobs in {concurrent:.2f}s ({len(failed)} failed, {items} items)")

        started = time.perf_counter()
        seq_failed = 0
        for job in jobs:
            [outcome] = asyncio.run(run_jobs([(job, Cursor())], ctx))
            seq_failed += outcome.error is not None
        sequential = time.perf_counter() - started
        print(f"sequential: {JOBS} jobs in {sequential:.2f}s ({seq_failed} failed)")

        # Memory is measured on a separate concurrent pass: tracemalloc slows the run a lot.
        tracemalloc.start()
        asyncio.run(run_jobs([(job, Cursor()) for job in jobs], ctx))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        server.terminate()
        server.join(timeout=5)

    ratio = sequential / concurrent
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"speed-up: {ratio:.1f}x (target >= {TARGET:.0f}x)")
    print(
        f"peak Python heap during the concurrent run: {peak / 1024 / 1024:.1f} MiB; max RSS: {rss_kb / 1024:.1f} MiB"
    )
    ok = ratio >= TARGET and not failed and not seq_failed
    print("OK" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

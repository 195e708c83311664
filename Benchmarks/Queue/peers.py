#!/usr/bin/env python3
"""Queue benchmark, peer half: PgQueuer and Procrastinate on the same PostgreSQL.

    python Benchmarks/Queue/peers.py --system pgqueuer|procrastinate \
        --database-url postgresql://user@127.0.0.1:5432/postgres \
        --jobs 100000 --workers 2 [--latency-samples 200]

Prints exactly one line on stdout:

    RESULT bench=queue system=<name> jobs=<N> jobs_per_s=<x> p50_ms=<y> p99_ms=<z>

Everything else (phase durations, sanity checks, per-phase detail) goes to
stderr as `PHASE ...` / `INFO ...` lines.

What is measured (see Benchmarks/Queue/README.md):

  setup      DROP/CREATE DATABASE bench_<system> on the server of --database-url
             and install the peer's schema with the peer's own installer
             (PgQueuer: Queries.install() = `pgq install`, then
             Queries.optimize_autovacuum() = `pgq autovac`, the post-install step
             PgQueuer's performance guide checklists; Procrastinate:
             SchemaManager.apply_schema_async() = `procrastinate schema --apply`).
  enqueue    N no-op jobs with the peer's documented bulk enqueue
             (PgQueuer: Queries.enqueue() with lists; Procrastinate:
             batch_defer_async()), in chunks of --enqueue-chunk (10,000) jobs
             per call. Not part of jobs_per_s.
  burn-down  P worker processes, each one the peer's normal worker, already
             imported and connected, are released at once; the clock runs from
             that release until the peer's own table shows no job left to do
             (PgQueuer: no row left in `pgqueuer`, finished jobs are moved to
             `pgqueuer_log`; Procrastinate: no row with status todo/doing).
             jobs_per_s = N / elapsed. The job function only counts calls, which
             are summed afterwards to check that every job ran.
  latency    P fresh worker processes, left idle for --settle seconds; then K jobs
             enqueued one at a time (the peer's normal single enqueue), one every
             --latency-interval-ms (20 ms), each carrying time.time() taken just
             before the enqueue call; the job records time.time() as its first
             statement and sends the pair back over a multiprocessing queue.
             p50/p99 of (start - enqueue) in ms, nearest-rank percentiles.

Peer configuration (chosen to be each peer's normal, documented, fast setup):

  PgQueuer 1.x: one PgQueuer per process on a dedicated asyncpg connection
    (PgQueuer.from_asyncpg_connection; its performance guide: "Always use a
    direct asyncpg connection (not a pool) for the QueueManager"), run with
    pgqueuer.run() (what `pgq run` calls) on uvloop (what `pgq run` uses),
    batch_size=--pgqueuer-batch-size (default 100: the guide says to raise
    batch_size for short-lived jobs; 10 is the library default), no
    max_concurrent_tasks cap (library default), durable (logged) tables
    (library default), the job is an `async def` entrypoint.
  Procrastinate 3.x: App(PsycopgConnector) per process, app.run_worker_async()
    (what `procrastinate worker` calls) on plain asyncio (what its CLI uses),
    concurrency=--procrastinate-concurrency (default 16; docs: async tasks +
    concurrency for throughput), the psycopg pool sized to concurrency + 2 so
    that the sub-workers are not starved by the library's default pool of 4,
    listen_notify on (default), delete_jobs never (default), the task is
    `async def`.

Every wait has a deadline (--phase-timeout, 900 s by default, per phase); worker
processes are stopped (SIGTERM, then SIGKILL) on every exit path, Ctrl-C
included, and stop by themselves if this process dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import sys
import threading
import time
import urllib.parse

SYSTEMS = ("pgqueuer", "procrastinate")
TASK_NAME = "noop"

# Child processes of this run, stopped on every exit path.
_CHILDREN: list[mp.process.BaseProcess] = []


def quiet_procrastinate_main_module_warning() -> None:
    """Procrastinate warns when its App lives in __main__ (it can then not be
    found by import path, which this harness never needs)."""
    import logging

    logging.getLogger("procrastinate.blueprints").addFilter(
        lambda record: "main Python module" not in record.getMessage()
    )


def log(kind: str, **fields: object) -> None:
    parts = " ".join(f"{k}={v}" for k, v in fields.items())
    print(f"{kind} {parts}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# URLs and databases
# --------------------------------------------------------------------------


def with_database(url: str, dbname: str) -> str:
    """Same server, user and options as *url*, another database."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"--database-url must be a postgresql:// URL, got {url!r}")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k not in ("dbname", "database")]
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            "/" + urllib.parse.quote(dbname),
            urllib.parse.urlencode(query),
            parts.fragment,
        )
    )


def recreate_database(admin_url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=30) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop_database(admin_url: str, dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=30) as conn:
        conn.execute("SET statement_timeout = '120s'")
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)
            )
        )


# --------------------------------------------------------------------------
# Worker processes (run in children started with the "spawn" method)
# --------------------------------------------------------------------------


def _watch_parent(parent_pid: int) -> None:
    """Stop this worker if the benchmark process disappears."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10.0)
            os._exit(3)


def worker_main(
    system: str,
    url: str,
    opts: dict,
    ready: mp.synchronize.Event,
    go: mp.synchronize.Event,
    samples: mp.Queue,
    parent_pid: int,
) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    calls = [0]
    try:
        if system == "pgqueuer":
            import uvloop  # what `pgq run` uses when installed

            uvloop.run(_pgqueuer_worker(url, opts, ready, go, samples, calls))
        else:
            asyncio.run(_procrastinate_worker(url, opts, ready, go, samples, calls))
    except KeyboardInterrupt:
        pass
    finally:
        samples.put(("calls", os.getpid(), calls[0]))
        samples.close()
        samples.join_thread()


async def _wait_go(go: mp.synchronize.Event, timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, go.wait, timeout)


async def _pgqueuer_worker(url, opts, ready, go, samples, calls) -> None:
    from datetime import timedelta

    import asyncpg
    import pgqueuer
    from pgqueuer import PgQueuer
    from pgqueuer.models import Job

    conn = await asyncpg.connect(url)
    pgq = PgQueuer.from_asyncpg_connection(conn)

    @pgq.entrypoint(TASK_NAME)
    async def noop(job: Job) -> None:
        started = time.time()
        calls[0] += 1
        if job.payload:
            samples.put(("lat", float(job.payload), started))

    @contextlib.asynccontextmanager
    async def factory():
        yield pgq

    ready.set()
    if not await _wait_go(go, opts["start_timeout"]):
        await conn.close()
        return
    try:
        # pgqueuer.run() is the programmatic `pgq run`: it installs SIGINT/SIGTERM
        # handlers that shut the manager down gracefully.
        await pgqueuer.run(
            factory,
            batch_size=opts["pgqueuer_batch_size"],
            dequeue_timeout=timedelta(seconds=30),  # library default
        )
    finally:
        with contextlib.suppress(Exception):
            await conn.close()


async def _procrastinate_worker(url, opts, ready, go, samples, calls) -> None:
    import procrastinate

    quiet_procrastinate_main_module_warning()
    concurrency = opts["procrastinate_concurrency"]
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=url,
            min_size=concurrency + 2,
            max_size=concurrency + 2,
        )
    )

    @app.task(name=TASK_NAME)
    async def noop(t: float | None = None) -> None:
        started = time.time()
        calls[0] += 1
        if t is not None:
            samples.put(("lat", float(t), started))

    async with app.open_async():
        ready.set()
        if not await _wait_go(go, opts["start_timeout"]):
            return
        # run_worker_async is what `procrastinate worker` calls; it installs
        # SIGINT/SIGTERM handlers for a graceful stop.
        await app.run_worker_async(concurrency=concurrency)


# --------------------------------------------------------------------------
# Parent side: per-peer enqueue and progress
# --------------------------------------------------------------------------


class PgQueuerPeer:
    name = "pgqueuer"

    def __init__(self, url: str):
        self.url = url
        self.conn = None
        self.queries = None

    async def open(self) -> None:
        import asyncpg
        from pgqueuer import Queries

        self.conn = await asyncpg.connect(self.url)
        self.queries = Queries.from_asyncpg_connection(self.conn)

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def install(self) -> None:
        await self.queries.install()  # `pgq install`
        await self.queries.optimize_autovacuum()  # `pgq autovac`

    async def enqueue_bulk(self, n: int) -> None:
        await self.queries.enqueue([TASK_NAME] * n, [None] * n, [0] * n)

    async def enqueue_one(self, t: float) -> None:
        await self.queries.enqueue(TASK_NAME, repr(t).encode())

    # Finished jobs are deleted from `pgqueuer` (and logged in `pgqueuer_log`).
    remaining_sql = "SELECT count(*) FROM pgqueuer"


class ProcrastinatePeer:
    name = "procrastinate"

    def __init__(self, url: str):
        self.url = url
        self.app = None

    async def open(self) -> None:
        import procrastinate

        quiet_procrastinate_main_module_warning()
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=self.url)
        )
        await self.app.open_async()
        self.deferrer = self.app.configure_task(TASK_NAME)

    async def close(self) -> None:
        if self.app is not None:
            await self.app.close_async()

    async def install(self) -> None:
        await self.app.schema_manager.apply_schema_async()  # `procrastinate schema --apply`

    async def enqueue_bulk(self, n: int) -> None:
        await self.deferrer.batch_defer_async(*({} for _ in range(n)))

    async def enqueue_one(self, t: float) -> None:
        await self.deferrer.defer_async(t=t)

    remaining_sql = (
        "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
    )


PEERS = {"pgqueuer": PgQueuerPeer, "procrastinate": ProcrastinatePeer}


# --------------------------------------------------------------------------
# Parent side: worker pool
# --------------------------------------------------------------------------


class WorkerPool:
    def __init__(self, system: str, url: str, n: int, opts: dict, ctx):
        self.ctx = ctx
        self.go = ctx.Event()
        self.samples = ctx.Queue()
        self.readies = []
        self.procs = []
        for i in range(n):
            ready = ctx.Event()
            p = ctx.Process(
                target=worker_main,
                name=f"bench-{system}-worker-{i}",
                args=(system, url, opts, ready, self.go, self.samples, os.getpid()),
                daemon=True,
            )
            self.readies.append(ready)
            self.procs.append(p)
        self.calls: dict[int, int] = {}
        self.latencies: list[tuple[float, float]] = []

    def start(self) -> None:
        for p in self.procs:
            _CHILDREN.append(p)
            p.start()

    def check_alive(self) -> None:
        for p in self.procs:
            if p.exitcode is not None:
                raise BenchError(f"worker {p.name} (pid {p.pid}) exited with {p.exitcode}")

    async def wait_ready(self, deadline: float) -> None:
        while not all(r.is_set() for r in self.readies):
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchError("timed out waiting for worker processes to start")
            await asyncio.sleep(0.02)

    def release(self) -> None:
        self.go.set()

    def _take(self, item) -> None:
        if item[0] == "lat":
            self.latencies.append((item[1], item[2]))
        elif item[0] == "calls":
            self.calls[item[1]] = item[2]

    def drain(self) -> None:
        while True:
            try:
                self._take(self.samples.get_nowait())
            except queue_mod.Empty:
                return

    async def wait_latencies(self, k: int, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while len(self.latencies) < k:
            self.check_alive()
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(
                    f"timed out waiting for latency samples ({len(self.latencies)}/{k})"
                )
            try:
                item = await loop.run_in_executor(
                    None, self.samples.get, True, min(left, 0.5)
                )
            except queue_mod.Empty:
                continue
            self._take(item)

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM (graceful stop for both peers), then SIGKILL after *grace* s."""
        for p in self.procs:
            if p.pid is not None and p.exitcode is None:
                with contextlib.suppress(OSError):
                    os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        # Keep draining so children can flush their queue and exit.
        while any(p.exitcode is None and p.pid is not None for p in self.procs):
            self.drain()
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        for p in self.procs:
            if p.pid is not None and p.exitcode is None:
                log("INFO", msg="worker did not stop, killing", pid=p.pid)
                p.kill()
            if p.pid is not None:
                p.join(5)
        self.drain()


def stop_all_children() -> None:
    for p in _CHILDREN:
        if p.pid is not None and p.exitcode is None:
            with contextlib.suppress(OSError):
                os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in _CHILDREN:
        if p.pid is None:
            continue
        p.join(max(0.1, deadline - time.monotonic()))
        if p.exitcode is None:
            p.kill()
            p.join(5)


# --------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


async def run(args: argparse.Namespace) -> str:
    system = args.system
    dbname = f"bench_{system}"
    url = with_database(args.database_url, dbname)
    timeout = args.phase_timeout
    opts = {
        "pgqueuer_batch_size": args.pgqueuer_batch_size,
        "procrastinate_concurrency": args.procrastinate_concurrency,
        "start_timeout": timeout,
    }
    ctx = mp.get_context("spawn")
    import psycopg

    # -- setup -------------------------------------------------------------
    t = time.monotonic()
    await asyncio.wait_for(
        asyncio.to_thread(recreate_database, args.database_url, dbname), timeout
    )
    peer = PEERS[system](url)
    await asyncio.wait_for(peer.open(), timeout)
    try:
        await asyncio.wait_for(peer.install(), timeout)
        log("PHASE", system=system, phase="setup", seconds=f"{time.monotonic() - t:.3f}")
        if system == "pgqueuer":
            import pgqueuer

            version = pgqueuer.__version__
        else:
            from importlib.metadata import version as _v

            version = _v("procrastinate")
        log(
            "INFO",
            system=system,
            version=version,
            database=dbname,
            workers=args.workers,
            loadavg="/".join(f"{x:.2f}" for x in os.getloadavg()),
            pgqueuer_batch_size=args.pgqueuer_batch_size if system == "pgqueuer" else "-",
            procrastinate_concurrency=args.procrastinate_concurrency
            if system == "procrastinate"
            else "-",
        )

        # -- enqueue (bulk) ------------------------------------------------
        t = time.monotonic()
        left = args.jobs
        while left > 0:
            n = min(left, args.enqueue_chunk)
            await asyncio.wait_for(peer.enqueue_bulk(n), timeout)
            left -= n
        enqueue_s = time.monotonic() - t
        log(
            "PHASE",
            system=system,
            phase="enqueue",
            seconds=f"{enqueue_s:.3f}",
            jobs_per_s=f"{args.jobs / enqueue_s:.1f}",
        )

        # -- burn-down -----------------------------------------------------
        poll = await psycopg.AsyncConnection.connect(url, autocommit=True)
        # Watching must not compete with the workers: no parallel scans for the polls
        # (context0-bench-queue polls the same way).
        await poll.execute("SET max_parallel_workers_per_gather = 0")
        try:
            async def remaining() -> int:
                cur = await poll.execute(peer.remaining_sql)
                return (await cur.fetchone())[0]

            queued = await remaining()
            if queued != args.jobs:
                raise BenchError(f"expected {args.jobs} queued jobs, found {queued}")
            if args.analyze:
                # Planner statistics that match the backlog, as autovacuum would have
                # them in a steady state; without it the first seconds of the
                # burn-down run on plans made for an empty table.
                t = time.monotonic()
                await poll.execute("ANALYZE")
                log("PHASE", system=system, phase="analyze", seconds=f"{time.monotonic() - t:.3f}")

            pool = WorkerPool(system, url, args.workers, opts, ctx)
            t = time.monotonic()
            pool.start()
            deadline = time.monotonic() + timeout
            await pool.wait_ready(deadline)
            log("PHASE", system=system, phase="workers-start", seconds=f"{time.monotonic() - t:.3f}")

            t0 = time.monotonic()
            pool.release()
            deadline = t0 + timeout
            left_jobs = args.jobs
            next_progress = t0 + args.progress if args.progress > 0 else math.inf
            while True:
                now = time.monotonic()
                left_jobs = await remaining()
                if left_jobs == 0:
                    break
                if now >= next_progress:
                    next_progress = now + args.progress
                    log("PROGRESS", system=system, seconds=f"{now - t0:.1f}", left=left_jobs)
                pool.check_alive()
                if now > deadline:
                    raise BenchError(
                        f"burn-down timed out after {timeout}s with {left_jobs} jobs left"
                    )
                # Poll less often while far from the end, so polling stays cheap.
                done = args.jobs - left_jobs
                rate = done / max(now - t0, 1e-3)
                eta = left_jobs / rate if rate > 0 else 1.0
                await asyncio.sleep(min(0.25, max(0.01, eta / 8)))
            elapsed = time.monotonic() - t0
            jobs_per_s = args.jobs / elapsed
            log(
                "PHASE",
                system=system,
                phase="burn-down",
                seconds=f"{elapsed:.3f}",
                jobs_per_s=f"{jobs_per_s:.1f}",
            )

            t = time.monotonic()
            pool.stop()
            ran = sum(pool.calls.values())
            log(
                "PHASE",
                system=system,
                phase="workers-stop",
                seconds=f"{time.monotonic() - t:.3f}",
                job_calls=ran,
                per_worker=",".join(str(v) for v in pool.calls.values()),
            )
            if ran < args.jobs:
                raise BenchError(f"job function ran {ran} times for {args.jobs} jobs")

            # -- latency at idle ---------------------------------------------
            k = args.latency_samples
            p50 = p99 = float("nan")
            if k > 0:
                pool = WorkerPool(system, url, args.workers, opts, ctx)
                t = time.monotonic()
                pool.start()
                deadline = time.monotonic() + timeout
                await pool.wait_ready(deadline)
                pool.release()
                await asyncio.sleep(args.settle)  # let the workers go idle
                pool.check_alive()
                if await remaining() != 0:
                    raise BenchError("queue not empty before latency phase")

                interval = args.latency_interval_ms / 1000.0
                enq_ms: list[float] = []
                start = time.monotonic()
                for i in range(k):
                    target = start + i * interval
                    delay = target - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if time.monotonic() > deadline:
                        raise BenchError("latency phase timed out while enqueueing")
                    t_enq = time.monotonic()
                    await asyncio.wait_for(peer.enqueue_one(time.time()), 60)
                    enq_ms.append((time.monotonic() - t_enq) * 1000.0)
                    pool.drain()
                await pool.wait_latencies(k, deadline)
                lat_s = time.monotonic() - t
                pool.stop()
                lats = sorted((s - e) * 1000.0 for e, s in pool.latencies[:k])
                p50 = percentile(lats, 50)
                p99 = percentile(lats, 99)
                log(
                    "PHASE",
                    system=system,
                    phase="latency",
                    seconds=f"{lat_s:.3f}",
                    samples=len(lats),
                    min_ms=f"{lats[0]:.2f}",
                    mean_ms=f"{sum(lats) / len(lats):.2f}",
                    p50_ms=f"{p50:.2f}",
                    p90_ms=f"{percentile(lats, 90):.2f}",
                    p99_ms=f"{p99:.2f}",
                    max_ms=f"{lats[-1]:.2f}",
                    enqueue_call_p50_ms=f"{percentile(sorted(enq_ms), 50):.2f}",
                )
        finally:
            await poll.close()
    finally:
        await peer.close()

    if not args.keep_db:
        await asyncio.to_thread(drop_database, args.database_url, dbname)

    return (
        f"RESULT bench=queue system={system} jobs={args.jobs} "
        f"jobs_per_s={jobs_per_s:.1f} p50_ms={p50:.2f} p99_ms={p99:.2f}"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description="Queue benchmark against a peer (PgQueuer or Procrastinate)."
    )
    ap.add_argument("--system", required=True, choices=SYSTEMS)
    ap.add_argument(
        "--database-url",
        required=True,
        help="postgresql:// URL of a database on the server to use; the benchmark "
        "creates and drops its own database bench_<system> there",
    )
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2, help="worker processes")
    ap.add_argument("--latency-samples", type=int, default=200)
    ap.add_argument("--latency-interval-ms", type=float, default=20.0)
    ap.add_argument(
        "--settle",
        type=float,
        default=2.0,
        help="seconds the latency-phase workers idle before the first job",
    )
    ap.add_argument("--enqueue-chunk", type=int, default=10_000)
    ap.add_argument("--pgqueuer-batch-size", type=int, default=100)
    ap.add_argument("--procrastinate-concurrency", type=int, default=16)
    ap.add_argument(
        "--phase-timeout", type=float, default=900.0, help="seconds allowed per phase"
    )
    ap.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the ANALYZE between enqueue and burn-down",
    )
    ap.add_argument(
        "--progress",
        type=float,
        default=0.0,
        help="log the jobs left every this many seconds during the burn-down (0: off)",
    )
    ap.add_argument(
        "--keep-db", action="store_true", help="leave bench_<system> in place afterwards"
    )
    args = ap.parse_args(argv)
    if args.jobs < 1 or args.workers < 1 or args.latency_samples < 0:
        ap.error("--jobs and --workers must be >= 1, --latency-samples >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        line = asyncio.run(run(args))
    except KeyboardInterrupt:
        print("peers.py: interrupted", file=sys.stderr)
        return 130
    except (BenchError, asyncio.TimeoutError) as exc:
        print(f"peers.py: error: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        stop_all_children()
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

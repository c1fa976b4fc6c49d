"""100 clients submit their check-ins at the same moment against the server `make run` starts (SQLite).

Every client holds its own single-use link; all 100 POSTs are released together. Afterwards the rows are
counted: every submission must be stored exactly once.
"""

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from benchmarks.server import percentile, running_server
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.tables import checkins

CLIENTS = 100


def _prepare(data_dir: Path) -> tuple[list[str], int]:
    """A practice with 100 clients (50 couples) who each hold a link for their latest session."""
    practice = Practice.create(Settings(data_dir=data_dir))
    practice.seed_demo()
    ada = practice.authenticate("ada", "demo-password-1", client_address="bench")
    from safeenough.domain.case import CaseKind

    tokens = []
    for number in range(CLIENTS // 2):
        case = practice.open_case(
            ada, title=f"Bench couple {number}", kind=CaseKind.COUPLE, client_names=["A", "B"]
        )
        session = practice.add_session(
            ada, case.id, held_on=case.opened_on, attendee_ids=[c.id for c in case.clients]
        )
        tokens += [practice.issue_checkin_link(ada, session.id, c.id).token for c in case.clients]
    with practice.store.engine.connect() as connection:
        before = int(connection.execute(select(func.count()).select_from(checkins)).scalar_one())
    practice.close()
    return tokens, before


async def _submit_all(
    base: str, tokens: list[str], spread_seconds: float = 0.0
) -> tuple[list[float], list[int], float]:
    """Every client opens its form, then all submit: at one moment, or spread evenly over `spread_seconds`."""
    form = {
        f"safeenough-safety.{item}": "9"
        for item in ("heard", "safe_to_speak", "goals", "approach", "overall")
    }
    start_gate = asyncio.Event()
    # aiohttp rather than httpx here: the load generator shares the two cores with the server, and
    # httpx's per-request overhead with 100 open connections made the benchmark measure the client.
    # Idle connections are let go before the server's keep-alive (uvicorn: 5 s) ends them: in the paced
    # round a form opened up to 10 s before its answer would otherwise be sent on a connection the server
    # is closing at that moment (ServerDisconnectedError, a failure of the load generator, not the app).
    connector = aiohttp.TCPConnector(limit=CLIENTS, keepalive_timeout=3)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url=base, connector=connector, timeout=timeout) as client:

        async def one(number: int, token: str) -> tuple[float, int]:
            async with client.get(f"/c/{token}") as opened:  # the client opens the form first
                await opened.read()
            await start_gate.wait()
            await asyncio.sleep(spread_seconds * number / len(tokens))
            began = time.perf_counter()
            async with client.post(f"/c/{token}", data=form, allow_redirects=False) as response:
                await response.read()
                status = response.status
            return time.perf_counter() - began, status

        tasks = [asyncio.create_task(one(number, token)) for number, token in enumerate(tokens)]
        await asyncio.sleep(1.0)
        wall = time.perf_counter()
        start_gate.set()
        results = await asyncio.gather(*tasks)
        wall = time.perf_counter() - wall
    return [latency for latency, _ in results], [status for _, status in results], wall


def _round(spread_seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        tokens, before = _prepare(data_dir)
        with running_server(data_dir) as base:
            latencies, statuses, wall = asyncio.run(_submit_all(base, tokens, spread_seconds))
        practice = Practice.open(Settings(data_dir=data_dir))
        with practice.store.engine.connect() as connection:
            after = int(connection.execute(select(func.count()).select_from(checkins)).scalar_one())
        practice.close()
    stored = after - before
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "per_s": round(CLIENTS / wall, 1),
        "succeeded": sum(1 for status in statuses if status in (200, 303)),
        "stored": stored,
        "lost": CLIENTS - stored,
        "duplicated": max(0, stored - CLIENTS),
    }


BURSTS = 5


def run() -> dict[str, Any]:
    # One burst on 2 shared cores varies by a third from run to run, so the burst is repeated and its
    # median round reported, with the worst round beside it.
    bursts = sorted((_round(0.0) for _ in range(BURSTS)), key=lambda result: result["p99_ms"])
    burst = bursts[len(bursts) // 2]
    paced = _round(10.0)
    return {
        "description": (
            f"{CLIENTS} clients, each with their own link, POST their check-ins to `safeenough serve` "
            "(one worker, SQLite, WAL) on this 2-core machine, the load generator (aiohttp) included. "
            f"checkin_*: all at the same moment (a burst), {BURSTS} bursts on fresh databases, the burst "
            "with the median p99 reported; checkin_p99_ms_worst_burst is the worst of them. "
            "checkin_paced_*: the same 100 spread evenly over 10 seconds. Latency per POST; rows counted "
            "afterwards (lost/duplicated summed over all bursts)."
        ),
        **{f"checkin_{key}": value for key, value in burst.items()},
        "checkin_p99_ms_worst_burst": bursts[-1]["p99_ms"],
        "checkin_lost": sum(result["lost"] for result in bursts),
        "checkin_duplicated": sum(result["duplicated"] for result in bursts),
        **{f"checkin_paced_{key}": value for key, value in paced.items()},
    }

"""The caseload page for a clinician with 300 cases × 30 sessions × 2 instruments, through the server.

The data is written straight through the storage layer (the facade's check-in path would take minutes
for 18,000 check-ins); the page is then fetched over HTTP as a logged-in clinician. A second, larger
history shows how render time grows with the number of past check-ins.
"""

import json
import re
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.server import running_server
from safeenough.domain.case import CaseKind
from safeenough.practice import Practice
from safeenough.settings import Settings

CASES = 300
ROUNDS = 30


SUBMISSIONS_DURING_EXPORT = 3
SAFETY_FORM = {
    f"safeenough-safety.{item}": "9" for item in ("heard", "safe_to_speak", "goals", "approach", "overall")
}


def _fill(data_dir: Path, sessions_per_case: int) -> None:
    practice = Practice.create(Settings(data_dir=data_dir))
    practice.seed_demo()
    ada = practice.authenticate("ada", "demo-password-1", client_address="bench")
    start = date.today() - timedelta(weeks=sessions_per_case + 1)
    with practice.store.transaction() as work:
        for number in range(CASES):
            case = work.cases.add(
                practice_id=1,
                clinician_id=ada.id,
                title=f"Bench client {number}",
                kind=CaseKind.INDIVIDUAL,
                opened_on=start,
                client_names=[f"Client {number}"],
            )
            client_id = case.clients[0].id
            for week in range(sessions_per_case):
                session = work.sessions.add(
                    case_id=case.id,
                    held_on=start + timedelta(weeks=week),
                    attendee_ids=[client_id],
                    note=None,
                )
                for instrument_id, answers in (
                    (
                        "safeenough-safety",
                        {"heard": 9, "safe_to_speak": 9, "goals": 9, "approach": 9, "overall": 9},
                    ),
                    ("phq-9", {str(item): 1 for item in range(1, 10)}),
                ):
                    work.checkins.add(
                        link_id=None,
                        session_id=session.id,
                        client_id=client_id,
                        instrument_id=instrument_id,
                        instrument_version="1",
                        answers=dict(answers),
                        free_text=None,
                        total=float(sum(answers.values())),
                    )
    practice.close()


def _links_for_today(data_dir: Path, count: int) -> list[str]:
    """Check-in links for sessions held today, to be answered while the export runs."""
    practice = Practice.open(Settings(data_dir=data_dir))
    ada = practice.authenticate("ada", "demo-password-1", client_address="bench")
    with practice.store.transaction() as work:  # not the caseload: its first render is measured later
        case = next(c for c in work.cases.many(work.cases.all_ids()) if c.title == "Bench client 0")
    tokens = []
    for _ in range(count):
        session = practice.add_session(ada, case.id, held_on=date.today(), attendee_ids=[case.clients[0].id])
        tokens.append(practice.issue_checkin_link(ada, session.id, case.clients[0].id).token)
    practice.close()
    return tokens


@contextmanager
def _logged_in(base: str) -> Iterator[httpx.Client]:
    """An HTTP client logged in as the demo clinician who holds the bench caseload."""
    with httpx.Client(base_url=base, follow_redirects=True, timeout=60) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        client.post(
            "/login",
            data={"username": "ada", "password": "demo-password-1", "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        yield client


def _checkins_during_export_ms(base: str, tokens: list[str]) -> tuple[float, float]:
    """(export seconds, slowest check-in submitted while the practice-wide score export runs, in ms)."""
    export_seconds: list[float] = []

    def export() -> None:
        with _logged_in(base) as client:
            began = time.perf_counter()
            response = client.get("/export/scores.csv")
            export_seconds.append(time.perf_counter() - began)
            assert response.status_code == 200

    exporter = threading.Thread(target=export)
    exporter.start()
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for token in tokens:
            time.sleep(0.5)
            began = time.perf_counter()
            response = client.post(f"/c/{token}", data=SAFETY_FORM)
            latencies.append(time.perf_counter() - began)
            assert response.status_code == 303, response.status_code
    exporter.join()
    assert export_seconds[0] > 0.5 * len(tokens), "the check-ins must be sent while the export runs"
    return round(export_seconds[0], 2), round(max(latencies) * 1000, 1)


def _render_ms(base: str) -> tuple[float, float]:
    """(first render, median of the next renders): the first evaluates alerts for every new check-in."""
    with _logged_in(base) as client:
        samples = []
        for _ in range(ROUNDS + 1):
            began = time.perf_counter()
            response = client.get("/")
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200
            assert "Bench client 299" in response.text
    return round(samples[0] * 1000, 1), round(statistics.median(samples[1:]) * 1000, 1)


def run() -> dict[str, Any]:
    results = {}
    during_export = (0.0, 0.0)
    for sessions_per_case in (30, 60):
        with tempfile.TemporaryDirectory() as folder:
            _fill(Path(folder), sessions_per_case)
            tokens = _links_for_today(Path(folder), SUBMISSIONS_DURING_EXPORT)
            with running_server(Path(folder)) as base:
                results[sessions_per_case] = _render_ms(base)
                if sessions_per_case == 30:
                    during_export = _checkins_during_export_ms(base, tokens)
    return {
        "description": (
            f"GET / for a clinician with {CASES} cases, each with 30 sessions and 2 instruments "
            f"(18,000 check-ins), median of {ROUNDS} renders over HTTP; then with 60 sessions per case "
            "(36,000 check-ins) to show how render time grows when the history doubles "
            "(caseload_growth_ratio; 1 would be no growth: the page reads a fixed number of sessions per "
            "case, the rest is the larger database). The first render after the import evaluates the "
            "alerts of all 300 cases once (caseload_first_render_ms). "
            f"While that clinician downloads the practice-wide score export (18,000 check-ins), "
            f"{SUBMISSIONS_DURING_EXPORT} clients submit check-ins, one every 0.5 s: the slowest of them "
            "(checkin_during_export_ms) shows whether a long read holds up the check-in path."
        ),
        "caseload_median_ms": results[30][1],
        "caseload_median_ms_twice_the_history": results[60][1],
        "caseload_growth_ratio": round(results[60][1] / results[30][1], 2),
        "caseload_first_render_ms": results[30][0],
        "scores_export_s": during_export[0],
        "checkin_during_export_ms": during_export[1],
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))

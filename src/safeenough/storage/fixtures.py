"""The fictional demo practice, used by `make run` on first start and by the tests.

Everyone here is invented. Names are chosen to be plainly fictional and are marked as such in the UI.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources

from sqlalchemy import insert, select, update

from safeenough.domain.case import CaseKind
from safeenough.domain.clinician import Role
from safeenough.domain.formulation import EpistemicStatus, FormulationDomain
from safeenough.storage.store import UnitOfWork
from safeenough.storage.tables import checkin_links, checkins, practices, sessions

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - the fictional demo practice, printed at start
DEMO_PRACTICE_NAME = "Linden Street Counselling (fictional demo)"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    supervisor: str | None = None


@dataclass(frozen=True, slots=True)
class DemoCredentials:
    password: str
    accounts: tuple[DemoAccount, ...]


DEMO_ACCOUNTS = (
    DemoAccount("sol", "Sol Varga (demo supervisor)", Role.SUPERVISOR),
    DemoAccount("ada", "Ada Quill (demo therapist)", Role.CLINICIAN, supervisor="sol"),
    DemoAccount("ben", "Ben Okafor (demo therapist)", Role.CLINICIAN),
    DemoAccount("admin", "Practice admin (demo)", Role.ADMIN),
)


@dataclass(frozen=True, slots=True)
class DemoCase:
    clinician: str
    title: str
    kind: CaseKind
    clients: tuple[str, ...]
    weeks_ago_opened: int
    notes: tuple[str, ...]
    next_in_days: int | None = 7


DEMO_CASES = (
    DemoCase(
        "ada",
        "Mara — work stress and sleep",
        CaseKind.INDIVIDUAL,
        ("Mara Ellison",),
        6,
        (
            "First meeting. Mara described months of poor sleep since a new manager arrived.",
            "Talked about what a good week would look like. Mara wants evenings back.",
            "Mara went quiet when I suggested a sleep diary; checked in, she said it felt like homework.",
            "Agreed to try a lighter version of the diary, her idea.",
        ),
    ),
    DemoCase(
        "ada",
        "Jonah & Priya — rebuilding after a move",
        CaseKind.COUPLE,
        ("Jonah Reyes", "Priya Reyes"),
        4,
        (
            "Joint intake. Both say they argue about money, and feel unheard in different ways.",
            "Priya spoke more; Jonah said later he felt we had sided with her.",
            "Opened with Jonah's comment from last week; he was surprised we came back to it.",
        ),
    ),
    DemoCase(
        "ada",
        "Theo — grief after his brother's death",
        CaseKind.INDIVIDUAL,
        ("Theo Lindqvist",),
        2,
        ("Intake. Theo is unsure therapy is for him; his doctor suggested it.",),
        next_in_days=3,
    ),
    DemoCase(
        "ben",
        "Rosa — returning to study",
        CaseKind.INDIVIDUAL,
        ("Rosa Amari",),
        3,
        (
            "Intake. Rosa is returning to university at forty and expects to be judged by tutors.",
            "Rosa said 'you probably think this is silly' before talking about her exam fear.",
        ),
    ),
    DemoCase(
        "sol",
        "Ines — anxiety at work",
        CaseKind.INDIVIDUAL,
        ("Ines Marlow",),
        1,
        ("Intake. Ines wants practical tools and is wary of 'talking about childhood'.",),
    ),
)


def ensure_practice(work: UnitOfWork) -> int:
    """The installation's practice row (one per installation), created on first use."""
    existing = work.connection.execute(select(practices.c.id).order_by(practices.c.id)).scalar()
    if existing is not None:
        return int(existing)
    return int(
        work.connection.execute(
            insert(practices).values(name="My practice").returning(practices.c.id)
        ).scalar_one()
    )


def seed_demo_practice(work: UnitOfWork, hash_password: Callable[[str], str], today: date) -> DemoCredentials:
    practice_id = int(
        work.connection.execute(
            insert(practices).values(name=DEMO_PRACTICE_NAME).returning(practices.c.id)
        ).scalar_one()
    )
    password_hash = hash_password(DEMO_PASSWORD)
    ids: dict[str, int] = {}
    for account in DEMO_ACCOUNTS:
        clinician = work.clinicians.add(
            practice_id=practice_id,
            username=account.username,
            display_name=account.display_name,
            role=account.role,
            password_hash=password_hash,
            supervisor_id=ids[account.supervisor] if account.supervisor else None,
        )
        ids[account.username] = clinician.id
    for demo in DEMO_CASES:
        opened_on = today - timedelta(weeks=demo.weeks_ago_opened)
        case = work.cases.add(
            practice_id=practice_id,
            clinician_id=ids[demo.clinician],
            title=demo.title,
            kind=demo.kind,
            opened_on=opened_on,
            client_names=list(demo.clients),
        )
        everyone = [client.id for client in case.clients]
        for week, note in enumerate(demo.notes):
            work.sessions.add(
                case_id=case.id, held_on=opened_on + timedelta(weeks=week), attendee_ids=everyone, note=note
            )
        if demo.next_in_days is not None:
            work.sessions.add(
                case_id=case.id,
                held_on=today + timedelta(days=demo.next_in_days),
                attendee_ids=everyone,
                note=None,
            )
    return DemoCredentials(password=DEMO_PASSWORD, accounts=DEMO_ACCOUNTS)


@dataclass(frozen=True, slots=True)
class DemoCheckIn:
    """A fictional client's answers after one demo session (session numbers start at 1)."""

    case_title: str
    session_number: int
    client_index: int
    instrument_id: str
    answers: tuple[float, ...]
    free_text: str | None = None


DEMO_RESOLUTION_NOTE = (
    "Opened session 4 with her comment. The diary felt like school; we dropped it and she chose a "
    "two-line evening note instead."
)
SAFETY = "safeenough-safety"
PHQ9 = "phq-9"

# Mara: a steady alliance that dips when the sleep diary felt like homework, then recovers; her PHQ-9
# improves. Jonah and Priya: Jonah's answers fall away from Priya's in session 2 (a split alliance).
DEMO_CHECKINS = (
    DemoCheckIn(DEMO_CASES[0].title, 1, 0, SAFETY, (9, 9, 9, 10, 9)),
    DemoCheckIn(DEMO_CASES[0].title, 1, 0, PHQ9, (2, 2, 3, 2, 1, 1, 2, 1, 0)),
    DemoCheckIn(DEMO_CASES[0].title, 2, 0, SAFETY, (10, 9, 9, 10, 10)),
    DemoCheckIn(DEMO_CASES[0].title, 2, 0, PHQ9, (2, 2, 2, 2, 1, 1, 1, 1, 0)),
    DemoCheckIn(
        DEMO_CASES[0].title,
        3,
        0,
        SAFETY,
        (8, 5, 7, 6, 7),
        "The diary felt like being given homework. I didn't want to say so.",
    ),
    DemoCheckIn(DEMO_CASES[0].title, 3, 0, PHQ9, (2, 2, 2, 1, 1, 1, 1, 1, 0)),
    DemoCheckIn(DEMO_CASES[0].title, 4, 0, SAFETY, (10, 10, 9, 10, 10)),
    DemoCheckIn(DEMO_CASES[0].title, 4, 0, PHQ9, (1, 1, 2, 1, 1, 0, 1, 0, 0)),
    DemoCheckIn(DEMO_CASES[1].title, 1, 0, SAFETY, (9, 10, 9, 9, 9)),
    DemoCheckIn(DEMO_CASES[1].title, 1, 1, SAFETY, (10, 9, 10, 10, 9)),
    DemoCheckIn(DEMO_CASES[1].title, 2, 0, SAFETY, (6, 5, 6, 6, 6), "It felt like it was two against one."),
    DemoCheckIn(DEMO_CASES[1].title, 2, 1, SAFETY, (10, 10, 9, 10, 10)),
)


def backdate_demo_check_ins(work: UnitOfWork) -> None:
    """Date the demo's links and answers as if each was sent after its session and answered that evening
    (they are created at seeding time, which would show October's check-ins as returned today)."""
    links = work.connection.execute(
        select(checkin_links.c.id, sessions.c.held_on).join(
            sessions, sessions.c.id == checkin_links.c.session_id
        )
    ).all()
    for link_id, held_on in links:
        sent = datetime.combine(held_on, time(17, 0), tzinfo=UTC)
        returned = datetime.combine(held_on, time(20, 30), tzinfo=UTC)
        work.connection.execute(
            update(checkin_links)
            .where(checkin_links.c.id == link_id)
            .values(created_at=sent, expires_at=sent + timedelta(days=7), used_at=returned)
        )
        work.connection.execute(
            update(checkins).where(checkins.c.link_id == link_id).values(submitted_at=returned)
        )


@dataclass(frozen=True, slots=True)
class DemoTranscript:
    """A fictional session transcript (in `storage/demo/`), analysed at seeding so that the demo shows a
    session report."""

    case_title: str
    session_number: int
    therapist: str
    filename: str

    def read(self) -> bytes:
        return resources.files("safeenough.storage").joinpath("demo", self.filename).read_bytes()


# Written for the demo: Ada suggests a sleep diary in a rush, Mara goes along with it and then goes
# quiet; Ada notices, asks how it landed, owns her part and lets Mara shape the task (session 3's note).
DEMO_TRANSCRIPTS = (DemoTranscript(DEMO_CASES[0].title, 3, "Ada", "mara-session-3.txt"),)


@dataclass(frozen=True, slots=True)
class DemoMapEntry:
    """What the demo therapist knows about Mara: said by her (`turn` of the demo transcript, if she said
    it there) or only assumed so far."""

    domain: FormulationDomain
    text: str
    status: EpistemicStatus
    turn: int | None = None


DEMO_MAP_ENTRIES = (
    DemoMapEntry(
        FormulationDomain.PRESENTING_CONCERNS,
        "Months of poor sleep since a new manager arrived; lies awake going over his messages.",
        EpistemicStatus.CLIENT_SAID,
        turn=1,
    ),
    DemoMapEntry(FormulationDomain.GOALS, "Wants her evenings back.", EpistemicStatus.CLIENT_SAID),
    DemoMapEntry(
        FormulationDomain.RELATIONSHIPS,
        "Reads short messages from her manager as a sign she has done something wrong.",
        EpistemicStatus.CLIENT_SAID,
        turn=5,
    ),
    DemoMapEntry(
        FormulationDomain.SAFETY_MEANING,
        "Not being checked on or marked; being asked rather than handed tasks.",
        EpistemicStatus.CLIENT_SAID,
        turn=21,
    ),
    DemoMapEntry(
        FormulationDomain.STRENGTHS_RESOURCES,
        "Shapes a task so it fits her when invited to: chose a two-line evening note over the diary.",
        EpistemicStatus.CLIENT_SAID,
        turn=25,
    ),
    DemoMapEntry(
        FormulationDomain.VALUES,
        "Doing things properly matters a great deal to her, which may be why feeling marked stings.",
        EpistemicStatus.THERAPIST_HYPOTHESIS,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoPattern:
    """A relational pattern (wish → response of others → response of self) and the subtype of the moment
    in the demo transcript where it showed up in the room."""

    wish: str
    response_of_other: str
    response_of_self: str
    examples: tuple[str, ...]
    enacted_as: str


DEMO_PATTERN = DemoPattern(
    wish="To be trusted to manage her own work and life",
    response_of_other="People in authority check on her and find fault",
    response_of_self="Goes along quietly and keeps her objection to herself",
    examples=("A one-line email from her manager kept her awake until three.",),
    enacted_as="deferential",
)

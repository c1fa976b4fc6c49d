"""The client's check-in form at /c/{token}: no account, no JavaScript needed, mobile-first, accessible.

The token in the URL is the secret (a signed, expiring, single-use capability), so the form needs no
login and no CSRF token; a POST whose Origin header names another site is refused all the same. Our
pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` with our own form
posts, so a missing or "null" Origin is accepted. Clients never see scores, alerts or suggestions, and
the pages show no names (a link could be forwarded).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.domain.instrument import Instrument, Item, ItemTheme, format_number
from safeenough.errors import AnswersInvalid, LinkUnusable
from safeenough.practice import CheckInInvitation
from safeenough.web.auth import read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import render
from safeenough.web.routes import parse_record_id

router = APIRouter()

FREE_TEXT_FIELD = "free_text"
MAX_RAW_ANSWER = 40
"""An answer is a short number; anything longer is cut before parsing (and then fails validation)."""
MAX_LIST_OPTIONS = 7
"""Scales with every point labelled and at most this many points are a vertical list (PHQ-9, GAD-7)."""
MAX_ROW_OPTIONS = 11
"""Other stepped scales up to this many points are a row of large buttons (0–10)."""
FOREIGN_ORIGIN_MESSAGE = (
    "This form was not sent from the check-in page, so nothing was stored. "
    "Please open the link your therapist sent you and try again."
)
THANKS_PATH = "/c/thanks"


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    dom_id: str
    checked: bool
    anchor: str | None


@dataclass(frozen=True, slots=True)
class ItemField:
    item: Item
    name: str
    dom_id: str
    layout: str
    """"list" (every point labelled), "row" (a row of numbers with anchors at the ends), "number"."""
    options: tuple[Option, ...]
    value: str
    error: str | None
    low_anchor: str | None
    middle_anchor: str | None
    high_anchor: str | None

    @property
    def error_id(self) -> str:
        return f"{self.dom_id}-error"

    @property
    def first_control_id(self) -> str:
        return self.options[0].dom_id if self.options else f"{self.dom_id}-input"


@dataclass(frozen=True, slots=True)
class FreeTextField:
    text: str
    name: str
    dom_id: str
    value: str
    max_length: int
    error: str | None

    @property
    def error_id(self) -> str:
        return f"{self.dom_id}-error"


@dataclass(frozen=True, slots=True)
class Section:
    instrument: Instrument
    fields: tuple[ItemField, ...]
    free_text: FreeTextField | None


@dataclass(frozen=True, slots=True)
class Problem:
    target_id: str
    question: str
    message: str


def _values(item: Item) -> list[float] | None:
    if item.step is None:
        return None
    count = math.floor((item.maximum - item.minimum) / item.step + 1e-9) + 1
    if count > MAX_ROW_OPTIONS:
        return None
    return [item.minimum + index * item.step for index in range(count)]


def _same(raw: str, value: float) -> bool:
    try:
        return math.isclose(float(raw), value, abs_tol=1e-9)
    except ValueError:
        return False


def _item_field(instrument: Instrument, item: Item, raw: str, error: str | None) -> ItemField:
    name = f"{instrument.id}.{item.id}"
    dom_id = f"q-{instrument.id}-{item.id}"
    anchors = {format_number(anchor.value): anchor.label for anchor in item.anchors}
    values = _values(item)
    if values is None:
        layout = "number"
        options: tuple[Option, ...] = ()
    else:
        labelled = all(format_number(value) in anchors for value in values)
        layout = "list" if labelled and len(values) <= MAX_LIST_OPTIONS else "row"
        options = tuple(
            Option(
                value=format_number(value),
                label=anchors.get(format_number(value), format_number(value))
                if layout == "list"
                else format_number(value),
                dom_id=f"{dom_id}-{index}",
                checked=bool(raw) and _same(raw, value),
                anchor=anchors.get(format_number(value)),
            )
            for index, value in enumerate(values)
        )
    middle = (item.minimum + item.maximum) / 2
    return ItemField(
        item=item,
        name=name,
        dom_id=dom_id,
        layout=layout,
        options=options,
        value=raw,
        error=error,
        low_anchor=anchors.get(format_number(item.minimum)),
        middle_anchor=anchors.get(format_number(middle)),
        high_anchor=anchors.get(format_number(item.maximum)),
    )


def _friendly(item: Item, message: str, layout: str) -> str:
    """The facade's problem in words for a client."""
    if message.startswith("must be"):
        if layout == "number":
            return (
                f"Please give a number from {format_number(item.minimum)} to {format_number(item.maximum)}."
            )
        return "Please choose one of the answers."
    return message


def _sections(
    invitation: CheckInInvitation,
    raw_answers: dict[str, dict[str, str]] | None = None,
    raw_text: dict[str, str] | None = None,
    problems: dict[tuple[str, str], str] | None = None,
) -> tuple[tuple[Section, ...], tuple[Problem, ...]]:
    raw_answers = raw_answers or {}
    raw_text = raw_text or {}
    problems = problems or {}
    sections = []
    listed: list[Problem] = []
    for instrument in invitation.instruments:
        fields = []
        for item in instrument.items:
            raw = raw_answers.get(instrument.id, {}).get(item.id, "")
            field = _item_field(instrument, item, raw, None)
            message = problems.get((instrument.id, item.id))
            if message is not None:
                message = _friendly(item, message, field.layout)
                field = _item_field(instrument, item, raw, message)
                listed.append(Problem(field.first_control_id, item.text, message))
            fields.append(field)
        free_text = None
        if instrument.free_text is not None:
            dom_id = f"q-{instrument.id}-{FREE_TEXT_FIELD}"
            error = problems.get((instrument.id, instrument.free_text.id))
            free_text = FreeTextField(
                text=instrument.free_text.text,
                name=f"{instrument.id}.{FREE_TEXT_FIELD}",
                dom_id=dom_id,
                value=raw_text.get(instrument.id, ""),
                max_length=instrument.free_text.max_length,
                error=error,
            )
            if error is not None:
                listed.append(Problem(dom_id, instrument.free_text.text, error))
        sections.append(Section(instrument=instrument, fields=tuple(fields), free_text=free_text))
    return tuple(sections), tuple(listed)


def _form_page(
    request: Request,
    token: str,
    invitation: CheckInInvitation,
    *,
    raw_answers: dict[str, dict[str, str]] | None = None,
    raw_text: dict[str, str] | None = None,
    problems: dict[tuple[str, str], str] | None = None,
    summary: str | None = None,
    status_code: int = 200,
) -> Response:
    sections, listed = _sections(invitation, raw_answers, raw_text, problems)
    questions = sum(len(section.fields) for section in sections)
    return render(
        request,
        "checkin_form.html",
        {
            "token": token,
            "invitation": invitation,
            "kiosk": invitation.link.kiosk,
            "for_name": invitation.for_name,
            "sections": sections,
            "problems": listed,
            "summary": summary,
            "takes": "about a minute" if questions <= SHORT_CHECK_IN_QUESTIONS else "a few minutes",
            "urgent_help": urgent_help(request),
        },
        status_code=status_code,
    )


SHORT_CHECK_IN_QUESTIONS = 6
"""Up to this many questions a check-in "takes about a minute"; more take a few minutes."""


def asks_about_self_harm(instruments: Iterable[Instrument]) -> bool:
    return any(item.theme is ItemTheme.SELF_HARM for instrument in instruments for item in instrument.items)


def urgent_help(request: Request) -> str:
    """What a client thinking of harming themselves should do now: answers are not read at once."""
    contact = web_context(request).settings.crisis_contact.strip().rstrip(".")
    reach = f"contact {contact}" if contact else "call your local emergency number or a crisis line"
    return (
        "If you are thinking of harming yourself or that you would be better off dead, please do not wait "
        f"for your next session: your therapist does not read these answers straight away. Please {reach} "
        "now."
    )


def _unusable_page(request: Request, reason: str, message: str) -> Response:
    status_code = 404 if reason == "invalid" else 410
    titles = {
        "expired": "This link has expired",
        "used": "This check-in was already sent",
        "invalid": "This link does not work",
        "origin": "Nothing was sent",
    }
    return render(
        request,
        "checkin_unusable.html",
        {"title": titles.get(reason, titles["invalid"]), "message": message, "reason": reason},
        status_code=403 if reason == "origin" else status_code,
    )


def _origin_is_ours(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return origin == f"{request.url.scheme}://{request.url.netloc}"


def _answers(
    instruments: tuple[Instrument, ...], form: FormData
) -> tuple[dict[str, dict[str, float | None]], dict[str, str | None]]:
    answers, free_text, _, _ = _read_answers(instruments, form)
    return answers, free_text


def _read_answers(
    instruments: tuple[Instrument, ...], form: FormData
) -> tuple[
    dict[str, dict[str, float | None]], dict[str, str | None], dict[str, dict[str, str]], dict[str, str]
]:
    """Answers as numbers for the facade, and exactly what was sent, to show again after a problem.

    A value that is not a number is passed on as NaN, which the facade reports as off the scale (so
    nothing is stored); fields that are not questions of this check-in are ignored.
    """
    answers: dict[str, dict[str, float | None]] = {}
    free_text: dict[str, str | None] = {}
    raw_answers: dict[str, dict[str, str]] = {}
    raw_text: dict[str, str] = {}
    for instrument in instruments:
        given: dict[str, float | None] = {}
        raw_given: dict[str, str] = {}
        for item in instrument.items:
            sent = form.get(f"{instrument.id}.{item.id}")
            raw = sent.strip()[:MAX_RAW_ANSWER] if isinstance(sent, str) else ""
            raw_given[item.id] = raw
            if not raw:
                given[item.id] = None
                continue
            given[item.id] = _number(raw)
        answers[instrument.id] = given
        raw_answers[instrument.id] = raw_given
        if instrument.free_text is not None:
            sent = form.get(f"{instrument.id}.{FREE_TEXT_FIELD}")
            text = sent if isinstance(sent, str) else ""
            raw_text[instrument.id] = text
            free_text[instrument.id] = text.strip() or None
    return answers, free_text, raw_answers, raw_text


def _number(raw: str) -> float:
    """The number a client typed, NaN if it is none. A decimal comma is read as a point: on a line from
    0 to 10, many clients write 7,5 (and a phone's decimal keypad may offer only a comma)."""
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        return float(raw)
    except ValueError:
        return math.nan


@router.get(THANKS_PATH)
def thanks(request: Request) -> Response:
    kiosk = request.query_params.get("device") == "shared"
    case_id = parse_record_id(request.query_params.get("case", ""))
    back = f"/cases/{case_id}" if kiosk and case_id is not None else "/"
    # Said again once the answers are sent, whatever they were, to anyone whose check-in asked about it.
    help_note = urgent_help(request) if request.query_params.get("help") == "1" else None
    context = {"kiosk": kiosk, "login_path": f"/login?next={back}", "urgent_help": help_note}
    return render(request, "checkin_done.html", context)


@router.get("/c/{token}")
def checkin_form(request: Request, token: str) -> Response:
    try:
        invitation = web_context(request).practice.open_checkin(token)
    except LinkUnusable as exc:
        return _unusable_page(request, exc.reason, str(exc))
    return _form_page(request, token, invitation)


@router.post("/c/{token}")
def submit_checkin(request: Request, token: str, form: Annotated[FormData, Depends(read_form)]) -> Response:
    if not _origin_is_ours(request):
        return _unusable_page(request, "origin", FOREIGN_ORIGIN_MESSAGE)
    practice = web_context(request).practice
    try:
        # The link is resolved, the form read against its instruments and the answers stored in one
        # transaction: many clients may submit at the same moment.
        asked: list[Instrument] = []

        def read(
            instruments: tuple[Instrument, ...],
        ) -> tuple[dict[str, dict[str, float | None]], dict[str, str | None]]:
            asked.extend(instruments)  # what the link asked, for the thank-you page
            return _answers(instruments, form)

        submitted = practice.submit_checkin_as_read(token, read)
    except AnswersInvalid as exc:
        try:
            invitation = practice.open_checkin(token)
        except LinkUnusable as unusable:
            return _unusable_page(request, unusable.reason, str(unusable))
        _, _, raw_answers, raw_text = _read_answers(invitation.instruments, form)
        return _form_page(
            request,
            token,
            invitation,
            raw_answers=raw_answers,
            raw_text=raw_text,
            problems=exc.problems,
            summary=str(exc),
            status_code=422,
        )
    except LinkUnusable as exc:
        return _unusable_page(request, exc.reason, str(exc))
    query = {"device": "shared", "case": str(submitted.case_id)} if submitted.link.kiosk else {}
    if asks_about_self_harm(asked):
        query["help"] = "1"
    target = THANKS_PATH + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303)

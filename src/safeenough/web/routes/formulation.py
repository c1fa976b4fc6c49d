"""Knowing the client: the client map, curiosity prompts, suggestions from transcripts, relational
patterns and their enactments, and a couple's shared map.

Pages:
- `/clients/{id}/map`: the nine domains with their entries (each showing its epistemic status in words
  and by shape, never by colour alone), curiosity prompts, suggestions from analysed transcripts,
  relational patterns and possible enactments;
- `/patterns/{id}`: one pattern with its enactments over time and whether each was repaired;
- `/cases/{id}/shared-map`: a couple's (or family's) maps side by side, their shared goals and each
  partner's check-in trend beside the other's.

Every change is a plain form POST with the CSRF token, answered by a 303 redirect back to the page (so
the pages work without JavaScript); htmx only loads an entry's history, or the turns it may quote, when
its disclosure is opened. Removing an entry asks first (a disclosure with the button), says on the page
what was removed and offers Undo, as a dismissal does; later, "Removed from the map (N)" at the end of the
page lists what was removed, each with "Put back on the map" (the same restore as Undo).
Supervisors read everything without forms (a POST from them is refused by the facade: 403); other
clinicians and admins get 404. Each read is audited by the facade.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from safeenough.domain.formulation import (
    ENTRY_TEXT_MAX,
    NOTE_MAX,
    EntryChange,
    EpistemicStatus,
    FormulationDomain,
    FormulationEntry,
)
from safeenough.domain.instrument import format_number
from safeenough.domain.relational_pattern import EXAMPLE_MAX, EXAMPLES_MAX, PART_MAX, EnactmentCandidate
from safeenough.domain.session import Session
from safeenough.errors import InvalidInput, NotFound
from safeenough.practice import Practice
from safeenough.practice.checkins import ClientTrack
from safeenough.practice.formulation import ClientMap, QuotableSession, SharedMap, TranscriptSuggestion
from safeenough.stats.curiosity import EXPLORE_QUESTIONS, UNTESTED_AFTER_SESSIONS, PromptKind
from safeenough.web.auth import Visitor, check_csrf, current_visitor, read_form
from safeenough.web.context import web_context
from safeenough.web.rendering import render, render_error
from safeenough.web.routes import parse_record_id

router = APIRouter()

SUGGESTION_SESSIONS: Final = 3
"""Suggestions are shown for this many of the client's latest sessions with a transcript (and for the
session the page was opened for)."""
EXAMPLES_FIELD_MAX: Final = EXAMPLES_MAX * (EXAMPLE_MAX + 1)
"""The examples box as a whole: the most examples, each as long as it may be, one a line."""

ADD_STATUSES: Final = (EpistemicStatus.CLIENT_SAID, EpistemicStatus.THERAPIST_HYPOTHESIS)
STATUS_ICONS: Final = {
    EpistemicStatus.CLIENT_SAID: "❝",
    EpistemicStatus.THERAPIST_HYPOTHESIS: "?",
    EpistemicStatus.CHECKED_CONFIRMED: "✓",
    EpistemicStatus.CHECKED_DISCONFIRMED: "✗",
}
ADD_STATUS_LABELS: Final = {
    EpistemicStatus.CLIENT_SAID: "The client said it",
    EpistemicStatus.THERAPIST_HYPOTHESIS: "My hypothesis (to check with the client)",
}
PROMPT_LABELS: Final = {
    PromptKind.UNTESTED_HYPOTHESIS: "Untested hypothesis",
    PromptKind.ASSUMING_LANGUAGE: "Assuming language",
    PromptKind.UNEXPLORED_DOMAIN: "Not explored yet",
}
MARKER_LABELS: Final = {
    "withdrawal": "Withdrawal",
    "confrontation": "Confrontation",
    "anticipated_judgement": "Anticipated judgement",
}
DONE_MESSAGES: Final = {
    "added": "Entry added to the map.",
    "updated": "Entry updated; the change is in its history.",
    "accepted": "Suggestion added to the map as something the client said.",
    "accepted-hypothesis": (
        "Suggestion added to the map. Saved as your hypothesis, since the words are yours; the client's "
        "turn is kept as its source."
    ),
    "dismissed": "Suggestion dismissed; it will not be offered again unless you undo it.",
    "restored": "Suggestion offered again.",
    "candidate-restored": "Moment offered again.",
    "pattern": "Pattern recorded.",
    "pattern-updated": "Pattern updated.",
    "linked": "Moment linked to the pattern as an enactment.",
    "candidate-dismissed": "Moment dismissed; it will not be offered again unless you undo it.",
    "unlinked": "Enactment taken off the pattern.",
    "entry-restored": "Entry back on the map; its removal and its return are in its history.",
    "quote-changed": "The entry now quotes the turn you chose; the change is in its history.",
    "quote-taken-away": (
        "The entry no longer quotes a turn: it is now your hypothesis, to check with the client. The change "
        "is in its history."
    ),
}
QUOTE_CHOICE_CHARS: Final = 140
"""A turn offered as a quote is shown this long at most in the list (its whole text is quoted)."""


# --- form helpers ---------------------------------------------------------------------------------------


def _practice(request: Request) -> Practice:
    return web_context(request).practice


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _int(form: FormData, name: str) -> int | None:
    return parse_record_id(_text(form, name))


def _required_int(form: FormData, name: str) -> int:
    value = _int(form, name)
    if value is None:
        raise InvalidInput(
            f"The form was missing its {name.replace('_', ' ')}; reload the page and try again."
        )
    return value


def _bounded(value: str, subject: str, limit: int) -> str:
    """The value, unless it is longer than the facade will store (`limit`, counted as the facade counts:
    without the spaces around it): then a message naming the limit and the length, before any work."""
    length = len(value.strip())
    if length > limit:
        raise InvalidInput(f"{subject} is too long: at most {limit:,} characters (this one has {length:,}).")
    return value


def _redirect(path: str, done: str, anchor: str | None = None, **query: str | int) -> RedirectResponse:
    """Back to the page, at the part that changed (`anchor`); `at` repeats the anchor for the server, so
    the page can say what was done there rather than at its top, off screen."""
    params = {key: str(value) for key, value in query.items()}
    params["done"] = done
    if anchor:
        params["at"] = anchor
    target = f"{path}?{urlencode(params)}" + (f"#{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=303)


def _query_int(request: Request, name: str) -> int | None:
    return parse_record_id(request.query_params.get(name, ""))


def _done(request: Request, status_code: int) -> str | None:
    """The message for the change just made (`?done=`), on a page shown normally."""
    return DONE_MESSAGES.get(request.query_params.get("done", "")) if status_code == 200 else None


@dataclass(frozen=True, slots=True)
class Undo:
    """A way back from a dismissal or removal just made: the form that offers the thing again."""

    action: str
    fields: tuple[tuple[str, str], ...]
    what: str = "the dismissal"
    """What Undo undoes, for a screen reader ("Undo the removal")."""


def _removal_undo(removed: FormulationEntry | None, status_code: int) -> Undo | None:
    """After an entry was removed (`?done=removed&removed=id`), the Undo that puts it back."""
    if removed is None or status_code != 200:
        return None
    back = (
        ("case_id", str(removed.case_id))
        if removed.client_id is None
        else ("client_id", str(removed.client_id))
    )
    return Undo(f"/entries/{removed.id}/restore", (back,), what="the removal")


def _removed_entry(
    request: Request, practice: Practice, visitor: Visitor, status_code: int, *, client_id: int | None
) -> FormulationEntry | None:
    """The entry just removed from this page's map (`?done=removed&removed=id`), to say what went."""
    entry_id = _query_int(request, "removed")
    if status_code != 200 or request.query_params.get("done") != "removed" or entry_id is None:
        return None
    try:
        entry = practice.entry(visitor.clinician, entry_id)
    except NotFound:  # a number typed into the address: nothing to say
        return None
    return entry if entry.is_removed and entry.client_id == client_id else None


def _removed_message(entry: FormulationEntry) -> str:
    words = entry.text if len(entry.text) <= 120 else entry.text[:119].rsplit(" ", 1)[0] + "…"
    where = "about the couple" if entry.is_shared else entry.domain.label
    return f"Removed from the map ({where}): “{words}” It stays in the entry's history; Undo puts it back."


def _undo(request: Request, client_id: int, status_code: int, pattern_id: int | None = None) -> Undo | None:
    """After a dismissal (`?done=dismissed` or `candidate-dismissed`, with what was dismissed in `s`, `t`
    and `d`), the Undo beside its message."""
    done = request.query_params.get("done", "")
    session_id, turn = _query_int(request, "s"), _query_int(request, "t")
    if status_code != 200 or session_id is None or turn is None:
        return None
    fields = [("session_id", str(session_id)), ("turn_index", str(turn))]
    if done == "dismissed":
        domain = request.query_params.get("d", "")
        if domain in set(FormulationDomain):
            fields.append(("domain", domain))
        return Undo(f"/clients/{client_id}/suggestions/restore", tuple(fields))
    if done == "candidate-dismissed":
        if pattern_id is not None:
            fields += [("return_to", "pattern"), ("pattern_id", str(pattern_id))]
        return Undo(f"/clients/{client_id}/enactments/restore", tuple(fields))
    return None


def _done_at(request: Request, anchors: set[str]) -> str | None:
    """Where on the page the change was made (`?at=`), when that part is on the page: its message is shown
    there. Otherwise (None) the message is shown at the top of the page."""
    at = request.query_params.get("at", "")
    return at if at in anchors else None


# --- view models ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class EntryForm:
    """The add-entry form: defaults, or exactly what was typed, with what went wrong."""

    domain: str = ""
    text: str = ""
    status: str = EpistemicStatus.THERAPIST_HYPOTHESIS.value
    error: str | None = None
    field: str | None = None
    """The field the error is about ("domain", "text" or "status"), to mark and focus it."""


@dataclass(slots=True)
class PatternForm:
    wish: str = ""
    response_of_other: str = ""
    response_of_self: str = ""
    examples: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SuggestionGroup:
    """One session's suggestions for this client's map."""

    session: Session
    suggestions: tuple[TranscriptSuggestion, ...]


@dataclass(slots=True)
class PageProblem:
    """A change that could not be made: which form (an anchor on the page) and why."""

    message: str
    anchor: str | None = None


def _names(visitor: Visitor, owner_id: int, owner_name: str) -> dict[int, str]:
    return {owner_id: owner_name, visitor.clinician.id: visitor.clinician.display_name}


def _common() -> dict[str, Any]:
    return {
        "domains": list(FormulationDomain),
        "statuses": list(EpistemicStatus),
        "add_statuses": ADD_STATUSES,
        "add_status_labels": ADD_STATUS_LABELS,
        "status_icons": STATUS_ICONS,
        "prompt_labels": PROMPT_LABELS,
        "marker_labels": MARKER_LABELS,
        "explore_questions": EXPLORE_QUESTIONS,
        "untested_after": UNTESTED_AFTER_SESSIONS,
    }


def _histories(
    request: Request, practice: Practice, visitor: Visitor, entries: tuple[FormulationEntry, ...]
) -> dict[int, tuple[EntryChange, ...]]:
    """The history of the entry asked for (`?history=`), when it is one of the entries on the page."""
    history_id = _query_int(request, "history")
    histories: dict[int, tuple[EntryChange, ...]] = {}
    if history_id is not None and any(entry.id == history_id for entry in entries):
        histories[history_id] = practice.entry_history(visitor.clinician, history_id)
    return histories


def _quote_choices(
    request: Request, practice: Practice, visitor: Visitor, entries: tuple[FormulationEntry, ...]
) -> dict[int, tuple[QuotableSession, ...]]:
    """The turns the entry asked for (`?quote=`) may quote, when it is a "client said" entry on the page."""
    entry_id = _query_int(request, "quote")
    found = next((entry for entry in entries if entry.id == entry_id), None)
    if found is None or found.status is not EpistemicStatus.CLIENT_SAID:
        return {}
    return {found.id: practice.quotable_turns(visitor.clinician, found.id)}


def _suggestion_groups(
    practice: Practice, visitor: Visitor, cmap: ClientMap, sessions: tuple[Session, ...], focus: int | None
) -> tuple[tuple[SuggestionGroup, ...], tuple[Session, ...]]:
    """Suggestions for the latest sessions with a transcript (and the one asked for); the other sessions
    with a transcript, to open on request."""
    today = practice.today()
    with_transcript = sorted(
        (s for s in sessions if s.has_transcript and cmap.client.id in s.attendee_ids and s.held_on <= today),
        key=lambda s: (s.held_on, s.number),
        reverse=True,
    )
    shown = list(with_transcript[:SUGGESTION_SESSIONS])
    shown += [s for s in with_transcript[SUGGESTION_SESSIONS:] if s.id == focus]
    groups = []
    for session in shown:
        found = practice.transcript_suggestions(visitor.clinician, session.id)
        mine = tuple(s for s in found if s.client_id in (None, cmap.client.id))
        groups.append(SuggestionGroup(session, mine))
    others = tuple(s for s in with_transcript if s not in shown)
    return tuple(groups), others


def _map_page(
    request: Request,
    visitor: Visitor,
    client_id: int,
    *,
    entry_form: EntryForm | None = None,
    pattern_form: PatternForm | None = None,
    problem: PageProblem | None = None,
    status_code: int = 200,
) -> Response:
    practice = _practice(request)
    cmap = practice.client_map(visitor.clinician, client_id)
    detail = practice.case_detail(visitor.clinician, cmap.case.id)
    sessions = {session.id: session for session in detail.sessions}
    groups, other_sessions = _suggestion_groups(
        practice, visitor, cmap, detail.sessions, _query_int(request, "session")
    )
    candidates: tuple[EnactmentCandidate, ...] = practice.enactment_candidates(visitor.clinician, client_id)
    histories = _histories(request, practice, visitor, cmap.entries)
    removed = _removed_entry(request, practice, visitor, status_code, client_id=cmap.client.id)
    removed_entries = practice.removed_entries(visitor.clinician, cmap.client.id)
    preselect = request.query_params.get("domain", "")
    form = entry_form or EntryForm(domain=preselect if preselect in set(FormulationDomain) else "")
    context = {
        **_common(),
        "cmap": cmap,
        "case": cmap.case,
        "client": cmap.client,
        "read_only": cmap.read_only,
        "owner": detail.owner,
        "sessions": sessions,
        "suggestion_groups": groups,
        "other_sessions": other_sessions,
        "candidates": candidates,
        "removed_entries": removed_entries,
        "patterns": tuple(view.pattern for view in cmap.patterns),
        "histories": histories,
        "quote_choices": _quote_choices(request, practice, visitor, cmap.entries),
        "quote_chars": QUOTE_CHOICE_CHARS,
        "names": _names(visitor, detail.owner.id, detail.owner.display_name),
        "entry_form": form,
        "pattern_form": pattern_form or PatternForm(),
        "problem": problem,
        "done": _removed_message(removed) if removed is not None else _done(request, status_code),
        "undo": _removal_undo(removed, status_code) or _undo(request, client_id, status_code),
        "done_at": _done_at(
            request,
            {"suggestions", "patterns", "enactment-candidates"}
            | {f"domain-{domain.value}" for domain in FormulationDomain}
            | {f"entry-{entry.id}" for entry in cmap.entries}
            | {f"pattern-{view.pattern.id}" for view in cmap.patterns},
        ),
        "map_path": f"/clients/{client_id}/map",
        "today": web_context(request).practice.today(),
    }
    return render(request, "client_map.html", context, visitor=visitor, status_code=status_code)


# --- the client map -------------------------------------------------------------------------------------


@router.get("/clients/{client_id:id}/map")
def client_map(
    request: Request, client_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    return _map_page(request, visitor, client_id)


@router.post("/clients/{client_id:id}/entries")
def add_entry(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    return _add_entry_from_form(
        request,
        visitor,
        form,
        client_id,
        speaker="the client",
        add=_practice(request).add_entry,
        page=_map_page,
        path=f"/clients/{client_id}/map",
    )


def _add_entry_from_form(
    request: Request,
    visitor: Visitor,
    form: FormData,
    target_id: int,
    *,
    speaker: str,
    add: Callable[..., FormulationEntry],
    page: Callable[..., Response],
    path: str,
) -> Response:
    """Add an entry from the add-entry form to a client's map or a shared map (`target_id`: the client's
    or the case's id): on success, a redirect to `path`; otherwise `page` again, showing what was typed."""
    check_csrf(visitor, form)
    entered = EntryForm(domain=_text(form, "domain"), text=_text(form, "text"), status=_text(form, "status"))
    if entered.domain not in {domain.value for domain in FormulationDomain}:
        entered.error, entered.field = "Choose where this goes on the map (a domain).", "domain"
    elif not entered.text.strip():
        entered.error, entered.field = "Write what you learned or wonder.", "text"
    elif entered.status not in {status.value for status in ADD_STATUSES}:
        entered.error, entered.field = f"Choose whether {speaker} said it or it is your hypothesis.", "status"
    if entered.error is not None:
        return page(request, visitor, target_id, entry_form=entered, status_code=422)
    try:
        entry = add(
            visitor.clinician,
            target_id,
            domain=entered.domain,
            text=_bounded(entered.text, "The entry", ENTRY_TEXT_MAX),
            status=entered.status,
        )
    except InvalidInput as error:
        entered.error, entered.field = str(error), "text"
        return page(request, visitor, target_id, entry_form=entered, status_code=422)
    return _redirect(path, "added", f"entry-{entry.id}")


def _entry_return_path(entry: FormulationEntry) -> str:
    if entry.client_id is None:
        return f"/cases/{entry.case_id}/shared-map"
    return f"/clients/{entry.client_id}/map"


@router.post("/entries/{entry_id:id}")
def update_entry(
    request: Request,
    entry_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    practice = _practice(request)
    text = _text(form, "text")
    status = _text(form, "status")
    note = _text(form, "note")
    try:
        updated = practice.update_entry(
            visitor.clinician,
            entry_id,
            text=_bounded(text, "The entry", ENTRY_TEXT_MAX) if text.strip() else None,
            status=status or None,
            note=_bounded(note, "The note", NOTE_MAX),
        )
    except InvalidInput as error:
        return _entry_problem(request, visitor, form, str(error), entry_id)
    return _redirect(_entry_return_path(updated), "updated", f"entry-{updated.id}", history=updated.id)


@router.post("/entries/{entry_id:id}/remove")
def remove_entry(
    request: Request,
    entry_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Take an entry off the map (it is kept, with its history); the page says what went, with Undo."""
    check_csrf(visitor, form)
    try:
        removed = _practice(request).remove_entry(
            visitor.clinician, entry_id, note=_bounded(_text(form, "note"), "The note", NOTE_MAX)
        )
    except InvalidInput as error:
        return _entry_problem(request, visitor, form, str(error), entry_id, verb="removed")
    anchor = "shared-entries" if removed.is_shared else f"domain-{removed.domain.value}"
    return _redirect(_entry_return_path(removed), "removed", anchor, removed=removed.id)


@router.post("/entries/{entry_id:id}/restore")
def restore_entry(
    request: Request,
    entry_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Undo a removal: the entry is back on the map as it was."""
    check_csrf(visitor, form)
    restored = _practice(request).restore_entry(visitor.clinician, entry_id)
    return _redirect(
        _entry_return_path(restored), "entry-restored", f"entry-{restored.id}", history=restored.id
    )


@router.post("/entries/{entry_id:id}/quote")
def change_entry_quote(
    request: Request,
    entry_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Quote another client turn (`turn` is "session id:turn index"), or, with `choice=none`, no turn:
    the entry becomes the therapist's hypothesis."""
    check_csrf(visitor, form)
    session_id = turn_index = None
    try:
        if _text(form, "choice") != "none":
            session_text, _, turn_text = _text(form, "turn").partition(":")
            session_id, turn_index = parse_record_id(session_text), parse_record_id(turn_text)
            if session_id is None or turn_index is None:
                raise InvalidInput("Choose the turn where the client said it.")
        changed = _practice(request).change_entry_source(
            visitor.clinician,
            entry_id,
            session_id=session_id,
            turn_index=turn_index,
            note=_bounded(_text(form, "note"), "The note", NOTE_MAX),
        )
    except InvalidInput as error:
        return _entry_problem(request, visitor, form, str(error), entry_id)
    done = "quote-changed" if session_id is not None else "quote-taken-away"
    return _redirect(_entry_return_path(changed), done, f"entry-{changed.id}", history=changed.id)


def _entry_problem(
    request: Request, visitor: Visitor, form: FormData, message: str, entry_id: int, verb: str = "changed"
) -> Response:
    """Show the page the form came from again (its hidden `client_id` or `case_id`), with the problem.

    The facade checks access to that page as to any other, so a tampered field shows nothing new.
    """
    problem = PageProblem(f"The entry was not {verb}: {message}", anchor=f"entry-{entry_id}")
    client_id, case_id = _int(form, "client_id"), _int(form, "case_id")
    if client_id is not None:
        return _map_page(request, visitor, client_id, problem=problem, status_code=422)
    if case_id is not None:
        return _shared_page(request, visitor, case_id, problem=problem, status_code=422)
    return render_error(request, 422, "Not changed", problem.message, visitor=visitor)


# --- suggestions from transcripts -----------------------------------------------------------------------


def _suggestion_problem(request: Request, visitor: Visitor, client_id: int, message: str) -> Response:
    problem = PageProblem(message, anchor="suggestions")
    return _map_page(request, visitor, client_id, problem=problem, status_code=422)


@router.post("/clients/{client_id:id}/suggestions/accept")
def accept_suggestion(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        session_id = _required_int(form, "session_id")
        turn_index = _required_int(form, "turn_index")
        text = _bounded(_text(form, "text"), "The wording", ENTRY_TEXT_MAX)
        original = _text(form, "original")
        entry = _practice(request).accept_suggestion(
            visitor.clinician,
            session_id,
            turn_index,
            _text(form, "domain"),
            text if text.strip() and text.strip() != original.strip() else None,
            client_id=client_id,
        )
    except InvalidInput as error:
        return _suggestion_problem(request, visitor, client_id, f"The suggestion was not added: {error}")
    # The facade keeps reworded suggestions as the therapist's hypothesis: say which it became.
    done = "accepted" if entry.status is EpistemicStatus.CLIENT_SAID else "accepted-hypothesis"
    return _redirect(f"/clients/{client_id}/map", done, f"entry-{entry.id}")


@router.post("/clients/{client_id:id}/suggestions/dismiss")
def dismiss_suggestion(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        session_id, turn = _required_int(form, "session_id"), _required_int(form, "turn_index")
        domain = _text(form, "domain") or None
        _practice(request).dismiss_suggestion(visitor.clinician, session_id, turn, domain)
    except InvalidInput as error:
        return _suggestion_problem(request, visitor, client_id, f"The suggestion was not dismissed: {error}")
    undo = {"s": session_id, "t": turn} | ({"d": domain} if domain else {})
    return _redirect(f"/clients/{client_id}/map", "dismissed", "suggestions", **undo)


@router.post("/clients/{client_id:id}/suggestions/restore")
def restore_suggestion(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Undo a dismissal: offer the suggestion again."""
    check_csrf(visitor, form)
    try:
        _practice(request).restore_suggestion(
            visitor.clinician,
            _required_int(form, "session_id"),
            _required_int(form, "turn_index"),
            _text(form, "domain") or None,
        )
    except InvalidInput as error:
        return _suggestion_problem(
            request, visitor, client_id, f"The suggestion was not offered again: {error}"
        )
    return _redirect(f"/clients/{client_id}/map", "restored", "suggestions")


# --- relational patterns and enactments -----------------------------------------------------------------


def _pattern_fields(form: FormData) -> PatternForm:
    return PatternForm(
        wish=_text(form, "wish"),
        response_of_other=_text(form, "response_of_other"),
        response_of_self=_text(form, "response_of_self"),
        examples=_text(form, "examples"),
    )


def _examples(text: str) -> list[str]:
    """One example a line, each within the facade's limit."""
    lines = [line.strip() for line in _bounded(text, "The list of examples", EXAMPLES_FIELD_MAX).splitlines()]
    examples = [line for line in lines if line]
    for number, example in enumerate(examples, start=1):
        _bounded(example, f"Example {number}", EXAMPLE_MAX)
    return examples


@router.post("/clients/{client_id:id}/patterns")
def add_pattern(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    entered = _pattern_fields(form)
    try:
        pattern = _practice(request).add_pattern(
            visitor.clinician,
            client_id,
            _bounded(entered.wish, "The wish", PART_MAX),
            _bounded(entered.response_of_other, "The response of others", PART_MAX),
            _bounded(entered.response_of_self, "The response of self", PART_MAX),
            _examples(entered.examples),
        )
    except InvalidInput as error:
        entered.error = str(error)
        return _map_page(request, visitor, client_id, pattern_form=entered, status_code=422)
    return _redirect(f"/clients/{client_id}/map", "pattern", f"pattern-{pattern.id}")


def _pattern_page(
    request: Request,
    visitor: Visitor,
    pattern_id: int,
    *,
    pattern_form: PatternForm | None = None,
    problem: PageProblem | None = None,
    status_code: int = 200,
) -> Response:
    practice = _practice(request)
    timeline = practice.pattern_timeline(visitor.clinician, pattern_id)
    detail = practice.case_detail(visitor.clinician, timeline.pattern.case_id)
    candidates = practice.enactment_candidates(visitor.clinician, timeline.client.id)
    pattern = timeline.pattern
    form = pattern_form or PatternForm(
        wish=pattern.wish,
        response_of_other=pattern.response_of_other,
        response_of_self=pattern.response_of_self,
        examples="\n".join(pattern.examples),
    )
    context = {
        **_common(),
        "timeline": timeline,
        "case": detail.case,
        "pattern": pattern,
        "client": timeline.client,
        "read_only": timeline.read_only,
        "candidates": candidates,
        "patterns": (pattern,),
        "preselected_pattern": pattern.id,
        "return_to": "pattern",
        "pattern_form": form,
        "problem": problem,
        "done": _done(request, status_code),
        "done_at": _done_at(request, {"enactments", "enactment-candidates"}),
        "undo": _undo(request, timeline.client.id, status_code, pattern.id),
    }
    return render(request, "pattern.html", context, visitor=visitor, status_code=status_code)


@router.get("/patterns/{pattern_id:id}")
def pattern_page(
    request: Request, pattern_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    return _pattern_page(request, visitor, pattern_id)


@router.post("/patterns/{pattern_id:id}")
def update_pattern(
    request: Request,
    pattern_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    entered = _pattern_fields(form)
    try:
        _practice(request).update_pattern(
            visitor.clinician,
            pattern_id,
            wish=_bounded(entered.wish, "The wish", PART_MAX),
            response_of_other=_bounded(entered.response_of_other, "The response of others", PART_MAX),
            response_of_self=_bounded(entered.response_of_self, "The response of self", PART_MAX),
            examples=_examples(entered.examples),
        )
    except InvalidInput as error:
        entered.error = str(error)
        return _pattern_page(request, visitor, pattern_id, pattern_form=entered, status_code=422)
    return _redirect(f"/patterns/{pattern_id}", "pattern-updated")


def _back_from_candidate(
    request: Request, visitor: Visitor, client_id: int, form: FormData, message: str
) -> Response:
    problem = PageProblem(message, anchor="enactment-candidates")
    pattern_id = _int(form, "pattern_id")
    if _text(form, "return_to") == "pattern" and pattern_id is not None:
        return _pattern_page(request, visitor, pattern_id, problem=problem, status_code=422)
    return _map_page(request, visitor, client_id, problem=problem, status_code=422)


@router.post("/clients/{client_id:id}/enactments/link")
def link_enactment(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    practice = _practice(request)
    try:
        pattern_id = _int(form, "pattern_id")
        if pattern_id is None:
            raise InvalidInput("Choose the pattern this moment is an enactment of.")
        timeline = practice.pattern_timeline(visitor.clinician, pattern_id)
        if timeline.client.id != client_id:
            raise InvalidInput("That pattern is not one of this client's patterns.")
        practice.link_enactment(
            visitor.clinician,
            pattern_id,
            _required_int(form, "session_id"),
            _required_int(form, "turn_index"),
            _bounded(_text(form, "note"), "The note", NOTE_MAX),
        )
    except InvalidInput as error:
        return _back_from_candidate(request, visitor, client_id, form, f"The moment was not linked: {error}")
    if _text(form, "return_to") == "pattern":
        return _redirect(f"/patterns/{pattern_id}", "linked", "enactments")
    return _redirect(f"/clients/{client_id}/map", "linked", f"pattern-{pattern_id}")


@router.post("/clients/{client_id:id}/enactments/dismiss")
def dismiss_enactment_candidate(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        session_id, turn = _required_int(form, "session_id"), _required_int(form, "turn_index")
        _practice(request).dismiss_enactment_candidate(visitor.clinician, client_id, session_id, turn)
    except InvalidInput as error:
        return _back_from_candidate(
            request, visitor, client_id, form, f"The moment was not dismissed: {error}"
        )
    pattern_id = _int(form, "pattern_id")
    if _text(form, "return_to") == "pattern" and pattern_id is not None:
        return _redirect(
            f"/patterns/{pattern_id}", "candidate-dismissed", "enactment-candidates", s=session_id, t=turn
        )
    return _redirect(
        f"/clients/{client_id}/map", "candidate-dismissed", "enactment-candidates", s=session_id, t=turn
    )


@router.post("/clients/{client_id:id}/enactments/restore")
def restore_enactment_candidate(
    request: Request,
    client_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    """Undo a dismissal: offer the moment again."""
    check_csrf(visitor, form)
    try:
        _practice(request).restore_enactment_candidate(
            visitor.clinician, client_id, _required_int(form, "session_id"), _required_int(form, "turn_index")
        )
    except InvalidInput as error:
        return _back_from_candidate(
            request, visitor, client_id, form, f"The moment was not offered again: {error}"
        )
    pattern_id = _int(form, "pattern_id")
    if _text(form, "return_to") == "pattern" and pattern_id is not None:
        return _redirect(f"/patterns/{pattern_id}", "candidate-restored", "enactment-candidates")
    return _redirect(f"/clients/{client_id}/map", "candidate-restored", "enactment-candidates")


@router.post("/enactments/{enactment_id:id}/unlink")
def unlink_enactment(
    request: Request,
    enactment_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    check_csrf(visitor, form)
    try:
        enactment = _practice(request).unlink_enactment(
            visitor.clinician, enactment_id, _bounded(_text(form, "note"), "The note", NOTE_MAX)
        )
    except InvalidInput as error:
        problem = PageProblem(f"The enactment was not taken off: {error}", anchor="enactments")
        pattern_id = _int(form, "pattern_id")
        if pattern_id is None:
            return render_error(request, 422, "Not changed", problem.message, visitor=visitor)
        return _pattern_page(request, visitor, pattern_id, problem=problem, status_code=422)
    return _redirect(f"/patterns/{enactment.pattern_id}", "unlinked", "enactments")


# --- a couple's shared map ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendCell:
    text: str
    """The total, or '—' where that partner has no scored check-in for the session."""
    concern: bool = False
    """On the worse side of the instrument's cut-off."""


@dataclass(frozen=True, slots=True)
class TrendRow:
    session_number: int
    totals: tuple[TrendCell, ...]
    """One cell per partner."""


@dataclass(frozen=True, slots=True)
class TrendTable:
    """One instrument's totals, session by session, one column per partner."""

    title: str
    maximum: float
    partners: tuple[tuple[str, str], ...]
    """Each partner's name and code, in column order."""
    rows: tuple[TrendRow, ...]
    cutoff: str | None = None
    """The cut-off in words ("≤ 45 (possible alliance concern)"), where the instrument has one."""


def _trend_tables(shared: SharedMap, sessions: Sequence[Session]) -> tuple[TrendTable, ...]:
    """`sessions` are the case's, to tell a partner who was not at a session from one who did not answer."""
    attended = {session.number: set(session.attendee_ids) for session in sessions}
    by_instrument: dict[str, list[ClientTrack]] = {}
    for track in shared.alliance:
        by_instrument.setdefault(track.instrument.id, []).append(track)
    tables = []
    for tracks in by_instrument.values():
        instrument = tracks[0].instrument
        partners = tuple((track.client.display_name, track.client.code) for track in tracks)
        numbers = sorted({point.session_number for track in tracks for point in track.history})
        rows = []
        for number in numbers:
            cells = []
            for track in tracks:
                totals = [p.score.total for p in track.history if p.session_number == number]
                value = totals[-1] if totals else None
                if value is None and track.client.id not in attended.get(number, {track.client.id}):
                    cells.append(TrendCell("not there"))
                elif value is None:
                    cells.append(TrendCell("—"))
                else:
                    cells.append(TrendCell(f"{value:g}", instrument.beyond_cutoff(value)))
            rows.append(TrendRow(number, tuple(cells)))
        cutoff = instrument.cutoff
        words = None
        if cutoff is not None:
            words = f"{instrument.cutoff_symbol} {format_number(cutoff.value)}"
            words += f" ({cutoff.label})" if cutoff.label else ""
        tables.append(TrendTable(instrument.title, instrument.total_range[1], partners, tuple(rows), words))
    return tuple(tables)


def _shared_page(
    request: Request,
    visitor: Visitor,
    case_id: int,
    *,
    entry_form: EntryForm | None = None,
    problem: PageProblem | None = None,
    status_code: int = 200,
) -> Response:
    practice = _practice(request)
    try:
        shared = practice.shared_map(visitor.clinician, case_id)
    except InvalidInput as error:  # an individual case: there is nothing to share
        return render_error(request, 404, "No shared map", str(error), visitor=visitor)
    detail = practice.case_detail(visitor.clinician, case_id)
    histories = _histories(request, practice, visitor, shared.shared_entries)
    removed = _removed_entry(request, practice, visitor, status_code, client_id=None)
    if removed is not None and removed.case_id != case_id:
        removed = None
    removed_entries = practice.removed_shared_entries(visitor.clinician, case_id)
    context = {
        **_common(),
        "shared": shared,
        "case": shared.case,
        "read_only": shared.read_only,
        "owner": detail.owner,
        "sessions": {session.id: session for session in detail.sessions},
        "trends": _trend_tables(shared, detail.sessions),
        "removed_entries": removed_entries,
        "histories": histories,
        "quote_choices": _quote_choices(request, practice, visitor, shared.shared_entries),
        "quote_chars": QUOTE_CHOICE_CHARS,
        "names": _names(visitor, detail.owner.id, detail.owner.display_name),
        "entry_form": entry_form or EntryForm(),
        "problem": problem,
        "done": _removed_message(removed) if removed is not None else _done(request, status_code),
        "undo": _removal_undo(removed, status_code),
        "done_at": _done_at(
            request, {"shared-entries"} | {f"entry-{entry.id}" for entry in shared.shared_entries}
        ),
        "map_path": f"/cases/{case_id}/shared-map",
    }
    return render(request, "shared_map.html", context, visitor=visitor, status_code=status_code)


@router.get("/cases/{case_id:id}/shared-map")
def shared_map(
    request: Request, case_id: int, visitor: Annotated[Visitor, Depends(current_visitor)]
) -> Response:
    return _shared_page(request, visitor, case_id)


@router.post("/cases/{case_id:id}/shared-map/entries")
def add_shared_entry(
    request: Request,
    case_id: int,
    visitor: Annotated[Visitor, Depends(current_visitor)],
    form: Annotated[FormData, Depends(read_form)],
) -> Response:
    return _add_entry_from_form(
        request,
        visitor,
        form,
        case_id,
        speaker="the clients",
        add=_practice(request).add_shared_entry,
        page=_shared_page,
        path=f"/cases/{case_id}/shared-map",
    )

"""The session page: uploading a transcript, confirming who is who, the report, its download; and who
may do what. None of these depend on what the trained models find: they hold with an empty pipeline."""

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeenough.domain.audit import AuditAction
from safeenough.domain.case import Case
from safeenough.domain.clinician import Clinician
from safeenough.domain.conversation import SpeakerRole
from safeenough.domain.session import Session
from safeenough.practice import Practice
from safeenough.settings import Settings
from safeenough.storage.transcripts import StoredTranscript
from safeenough.web import create_app
from safeenough.web.routes import sessions as sessions_routes
from tests.web.helpers import Reply, csrf_from, log_in

# Fictional talk; Dana is the therapist, Sam the client.
TRANSCRIPT = (
    b"Dana: How have you been sleeping since we last met?\n"
    b"Sam: Badly. I keep waking at three and going over work.\n"
    b"Dana: What goes through your mind when you wake like that?\n"
    b"Sam: That I'm letting everyone down, mostly.\n"
    b"Dana: It sounds like the nights carry a lot of the worry from the day.\n"
    b"Sam: Yes. That's it exactly.\n"
)

BROKEN_VTT = b"WEBVTT\n\n00:00 --> whenever\nDana: hello\n"


def _has_session_routes(app: FastAPI) -> bool:
    return any(getattr(route, "path", None) == "/sessions/{session_id:int}" for route in app.routes)


@pytest.fixture
def client(demo_practice: Practice, settings: Settings) -> Iterator[TestClient]:
    app = create_app(demo_practice, settings)
    if not _has_session_routes(app):  # until create_app calls sessions.register(app) itself
        sessions_routes.register(app)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def mara_session(demo_practice: Practice, ada: Clinician, ada_case: Case) -> Session:
    """The first session of Ada's case with Mara (it has a note in the demo data)."""
    return min(demo_practice.case_detail(ada, ada_case.id).sessions, key=lambda session: session.number)


def upload(
    client: TestClient,
    session: Session,
    csrf: str | None,
    *,
    filename: str = "session.txt",
    data: bytes = TRANSCRIPT,
    therapist: str = "",
    replace: bool = False,
) -> Reply:
    fields = {"therapist": therapist}
    if replace:
        fields["replace"] = "yes"
    if csrf is not None:
        fields["csrf_token"] = csrf
    return client.post(
        f"/sessions/{session.id}/transcript",
        data=fields,
        files={"transcript": (filename, data, "application/octet-stream")},
    )


def stored_transcript(practice: Practice, owner: Clinician, session: Session) -> StoredTranscript | None:
    return practice.session_analysis(owner, session.id).transcript


def alert_text(html: str) -> str:
    """The message a refused form shows beside its field (the same way on every form)."""
    match = re.search(
        r'<p class="field-error" id="[a-z-]+-error"><span class="visually-hidden">Error: </span>'
        r"(.*?)</p>",
        html,
        re.DOTALL,
    )
    assert match, "the page shows no message beside a field"
    return match.group(1)


def test_session_page_shows_the_session_and_an_upload_form(
    client: TestClient, ada_case: Case, mara_session: Session
) -> None:
    log_in(client, "ada")
    page = client.get(f"/sessions/{mara_session.id}")
    assert page.status_code == 200
    assert f"<h1>Session {mara_session.number} " in page.text
    assert ada_case.title in page.text
    assert f'href="/cases/{ada_case.id}"' in page.text
    assert "Mara Ellison" in page.text  # attendees by display name
    assert mara_session.note
    assert mara_session.note in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'type="file"' in page.text
    assert 'accept=".vtt,.srt,.txt,.docx,.json,.csv"' in page.text
    assert "I am the speaker named" in page.text
    assert "No transcript yet." in page.text
    assert 'href="/static/session.css"' in page.text
    assert "/report.html" not in page.text  # nothing to download yet
    assert client.get(f"/sessions/{mara_session.id}/report.html").status_code == 404


def test_session_page_needs_a_login(client: TestClient, mara_session: Session) -> None:
    response = client.get(f"/sessions/{mara_session.id}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fsessions%2F{mara_session.id}"


def test_upload_with_the_therapist_named_is_analysed_and_shows_the_report(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, csrf, therapist="dana")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{mara_session.id}?status=analysed"

    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Transcript read and analysed." in page.text
    assert 'class="sr"' in page.text  # the session report, in the app's layout
    assert "That I&#39;m letting everyone down, mostly." in page.text
    assert "Counselling indicators" in page.text
    assert f'href="/sessions/{mara_session.id}/report.html"' in page.text
    assert 'href="/static/session_report.css"' in page.text
    assert 'src="/static/suggestions.js"' in page.text
    assert "<style" not in page.text  # the CSP allows no inline style: the report CSS is a file
    assert "Upload a different transcript" in page.text

    stored = demo_practice.session_analysis(ada, mara_session.id).transcript
    assert stored is not None
    assert stored.roles_confirmed
    assert stored.filename == "session.txt"
    roles = {turn.speaker: turn.role for turn in stored.conversation.turns}
    assert roles == {"Dana": SpeakerRole.THERAPIST, "Sam": SpeakerRole.CLIENT}


def test_a_second_upload_replaces_the_transcript_only_when_the_therapist_ticks_replace(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    assert upload(client, mara_session, csrf, therapist="dana").status_code == 303
    page = client.get(f"/sessions/{mara_session.id}")
    assert 'name="replace" type="checkbox" value="yes" required' in page.text
    other = b"Dana: Shall we begin?\nSam: Fine.\n"
    refused = upload(client, mara_session, csrf, data=other, therapist="dana")
    assert refused.status_code == 422
    assert "already has a transcript" in alert_text(refused.text)
    kept = stored_transcript(demo_practice, ada, mara_session)
    assert kept is not None
    assert len(kept.conversation.turns) > 2
    assert upload(client, mara_session, csrf, data=other, therapist="dana", replace=True).status_code == 303
    replaced = stored_transcript(demo_practice, ada, mara_session)
    assert replaced is not None
    assert len(replaced.conversation.turns) == 2


def test_guessed_roles_are_confirmed_before_the_analysis(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, csrf)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{mara_session.id}?status=confirm"

    page = client.get(response.headers["location"])
    assert "confirm which speaker is you" in page.text
    assert "Which speaker are you?" in page.text
    assert "safeenough guessed that you are <strong>Dana</strong>" in page.text
    assert re.search(r"\((a confident|a fair|an uncertain) guess\)", page.text)  # in words, not a percentage
    assert "asks questions in" in page.text  # a reason for the guess
    assert 'value="Dana" required checked' in page.text  # the guess is preselected
    assert 'value="Sam" required>' in page.text
    assert 'class="sr"' not in page.text  # nothing analysed yet
    assert client.get(f"/sessions/{mara_session.id}/report.html").status_code == 404
    stored = demo_practice.session_analysis(ada, mara_session.id).transcript
    assert stored is not None
    assert not stored.roles_confirmed

    confirmed = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": csrf_from(page.text), "therapist_speaker": "Dana"},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/sessions/{mara_session.id}?status=confirmed"
    page = client.get(confirmed.headers["location"])
    assert "the speakers are confirmed and the transcript is analysed" in page.text
    assert 'class="sr"' in page.text
    analysis = demo_practice.session_analysis(ada, mara_session.id)
    assert analysis.transcript is not None
    assert analysis.transcript.roles_confirmed
    assert analysis.report is not None


def test_confirming_a_speaker_who_is_not_in_the_transcript_is_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    upload(client, mara_session, csrf)
    response = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": csrf, "therapist_speaker": "Nobody"},
    )
    assert response.status_code == 422
    assert "Choose one of the speakers: Dana, Sam." in alert_text(response.text)
    assert 'value="Dana" required checked' not in response.text  # the choice made is kept
    missing = client.post(f"/sessions/{mara_session.id}/transcript/roles", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert "Choose which speaker is you" in alert_text(missing.text)
    stored = demo_practice.session_analysis(ada, mara_session.id).transcript
    assert stored is not None
    assert not stored.roles_confirmed


def test_a_broken_file_is_refused_naming_the_file_and_line_and_nothing_is_stored(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, csrf, filename="week 3.vtt", data=BROKEN_VTT, therapist="Dana")
    assert response.status_code == 422
    message = alert_text(response.text)
    assert message.startswith("week 3.vtt, line 3: expected")
    assert "Nothing was stored." in message
    assert 'value="Dana"' in response.text  # what was typed is kept
    # What the file holds is a problem with the file: said beside it, which is marked and focused.
    assert (
        'aria-invalid="true" aria-describedby="upload-error transcript-file-hint" autofocus' in response.text
    )
    assert stored_transcript(demo_practice, ada, mara_session) is None


def test_a_therapist_name_that_is_not_a_speaker_is_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, csrf, therapist="Morgan")
    assert response.status_code == 422
    message = alert_text(response.text)
    assert "session.txt" in message
    assert "Morgan" in message
    assert "Dana" in message
    assert stored_transcript(demo_practice, ada, mara_session) is None


def test_an_upload_without_a_file_asks_for_one(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = client.post(f"/sessions/{mara_session.id}/transcript", data={"csrf_token": csrf})
    assert response.status_code == 422
    assert "Choose a transcript file to upload" in alert_text(response.text)
    assert re.search(
        r'<input id="transcript-file"[^>]* aria-invalid="true" '
        r'aria-describedby="upload-error transcript-file-hint" autofocus',
        response.text,
    )
    assert stored_transcript(demo_practice, ada, mara_session) is None


@pytest.mark.parametrize("size", [2_000, 200_000], ids=["file-over-limit", "body-over-limit"])
def test_an_oversize_upload_is_refused_with_a_clear_message(
    client: TestClient,
    demo_practice: Practice,
    ada: Clinician,
    mara_session: Session,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
) -> None:
    # A lowered limit: the file over it, and a whole request body over it (refused before parsing).
    monkeypatch.setattr(sessions_routes, "MAX_UPLOAD_BYTES", 1_000)
    csrf = log_in(client, "ada")
    data = (b"Dana: How are you?\nSam: Fine.\n" * (size // 30 + 1))[:size]
    response = upload(client, mara_session, csrf, data=data, therapist="Dana")
    assert response.status_code == 413
    message = alert_text(response.text)
    assert "larger than" in message
    assert "Nothing was stored." in message
    assert stored_transcript(demo_practice, ada, mara_session) is None


def test_uploads_and_confirmations_without_the_form_token_are_refused(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, None, therapist="Dana")
    assert response.status_code == 403
    assert stored_transcript(demo_practice, ada, mara_session) is None
    wrong = upload(client, mara_session, csrf[::-1], therapist="Dana")
    assert wrong.status_code == 403
    assert stored_transcript(demo_practice, ada, mara_session) is None

    upload(client, mara_session, csrf)  # guessed roles: waiting for confirmation
    refused = client.post(f"/sessions/{mara_session.id}/transcript/roles", data={"therapist_speaker": "Dana"})
    assert refused.status_code == 403
    stored = stored_transcript(demo_practice, ada, mara_session)
    assert stored is not None
    assert not stored.roles_confirmed


def test_supervisor_reads_the_session_without_any_form_and_cannot_post(
    client: TestClient, demo_practice: Practice, ada: Clinician, sol: Clinician, mara_session: Session
) -> None:
    demo_practice.import_transcript(
        ada, mara_session.id, filename="session.txt", data=TRANSCRIPT, therapist="Dana"
    )
    sol_csrf = log_in(client, "sol")
    page = client.get(f"/sessions/{mara_session.id}")
    assert page.status_code == 200
    assert "It is read only." in page.text
    assert 'class="sr"' in page.text  # the report is readable
    assert f'href="/sessions/{mara_session.id}/report.html"' in page.text
    assert 'type="file"' not in page.text
    assert "/transcript" not in page.text  # no upload or confirmation form
    forms = re.findall(r'<form[^>]*action="([^"]+)"', page.text)
    assert forms == ["/logout"]

    refused = upload(client, mara_session, sol_csrf, data=b"Sol: Hello.\nMara: Hi.\n", therapist="Sol")
    assert refused.status_code == 403
    stored = demo_practice.session_analysis(ada, mara_session.id).transcript
    assert stored is not None
    assert stored.filename == "session.txt"
    roles = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": sol_csrf, "therapist_speaker": "Sam"},
    )
    assert roles.status_code == 403
    assert client.get(f"/sessions/{mara_session.id}/report.html").status_code == 200


def test_supervisor_sees_an_empty_state_for_a_session_without_a_transcript(
    client: TestClient, mara_session: Session
) -> None:
    log_in(client, "sol")
    page = client.get(f"/sessions/{mara_session.id}")
    assert page.status_code == 200
    assert "No transcript has been uploaded for this session" in page.text
    assert 'type="file"' not in page.text


def test_supervisor_sees_that_roles_are_waiting_for_the_clinician(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    demo_practice.import_transcript(ada, mara_session.id, filename="session.txt", data=TRANSCRIPT)
    log_in(client, "sol")
    page = client.get(f"/sessions/{mara_session.id}")
    assert "has not yet confirmed which speaker is the therapist" in page.text
    assert "therapist_speaker" not in page.text


def test_another_clinician_gets_404_for_the_session(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    demo_practice.import_transcript(
        ada, mara_session.id, filename="session.txt", data=TRANSCRIPT, therapist="Dana"
    )
    ben_csrf = log_in(client, "ben")
    for path in (f"/sessions/{mara_session.id}", f"/sessions/{mara_session.id}/report.html"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Sam" not in response.text
        assert "session.txt" not in response.text
    assert upload(client, mara_session, ben_csrf, therapist="Dana").status_code == 404
    roles = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": ben_csrf, "therapist_speaker": "Dana"},
    )
    assert roles.status_code == 404
    assert client.get("/sessions/999999").status_code == 404


def test_the_standalone_report_downloads_as_a_file_and_is_audited_as_an_export(
    client: TestClient,
    demo_practice: Practice,
    ada: Clinician,
    admin: Clinician,
    mara_session: Session,
) -> None:
    demo_practice.import_transcript(
        ada, mara_session.id, filename="session.txt", data=TRANSCRIPT, therapist="Dana"
    )
    log_in(client, "ada")
    before = len(demo_practice.audit_log(admin, limit=10_000))
    response = client.get(f"/sessions/{mara_session.id}/report.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="session-{mara_session.number}-report.html"'
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.text.lstrip().lower().startswith("<!doctype html")
    assert "<style" in response.text  # standalone: the stylesheet is inlined, nothing is fetched
    assert "That I&#39;m letting everyone down, mostly." in response.text
    events = demo_practice.audit_log(admin, limit=10_000)
    assert len(events) > before
    assert any(
        event.action is AuditAction.EXPORT
        and event.target_kind == "session_report"
        and event.target_id == mara_session.id
        and event.actor_id == ada.id
        and event.detail == "report.html"
        for event in events
    )


def test_the_report_stylesheet_is_served_as_a_static_file(client: TestClient) -> None:
    response = client.get("/static/session_report.css")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert ".sr-suggestion" in response.text
    assert response.headers["cache-control"].startswith("public")
    for name in ("session.css", "suggestions.js"):
        assert client.get(f"/static/{name}").status_code == 200


def test_a_one_speaker_file_says_nothing_was_stored_once(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    response = upload(client, mara_session, csrf, data=b"Dana: Just me talking.\nDana: Still me.\n")
    assert response.status_code == 422
    assert alert_text(response.text).count("Nothing was stored.") == 1
    assert stored_transcript(demo_practice, ada, mara_session) is None


def test_a_status_message_that_is_no_longer_true_is_not_shown_again(
    client: TestClient, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    assert upload(client, mara_session, csrf, therapist="dana").status_code == 303
    # An old link from before the speakers were confirmed, opened once the report is there.
    page = client.get(f"/sessions/{mara_session.id}?status=confirm")
    assert 'class="sr"' in page.text
    assert "confirm which speaker is you" not in page.text
    assert "Transcript read and analysed." in client.get(f"/sessions/{mara_session.id}?status=analysed").text


def test_a_session_without_a_report_does_not_say_it_was_analysed(
    client: TestClient, mara_session: Session
) -> None:
    log_in(client, "ada")
    for status in ("analysed", "confirmed", "restored", "confirm"):
        page = client.get(f"/sessions/{mara_session.id}?status={status}")
        status_line = re.search(r'id="session-status">(.*?)</div>', page.text, re.S)
        assert status_line is not None
        assert status_line.group(1).strip() == ""


def test_the_report_downloads_sit_together_named_alike_and_the_page_has_one_main_heading(
    client: TestClient, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    assert upload(client, mara_session, csrf, therapist="dana").status_code == 303
    page = client.get(f"/sessions/{mara_session.id}").text
    actions = re.search(r'<div class="page-head__actions">(.*?)</div>', page, re.S)
    assert actions is not None
    assert "Download the report (HTML)" in actions.group(1)
    assert "Download the report (PDF)" in actions.group(1)
    assert page.count("<h1") == 1
    assert '<p id="sr-title" class="sr-title">' in page


INTERPRETED = (
    b"Dana: What brings you here today?\n"
    b"Lena: She asks what brings you here today.\n"
    b"Sam: I can't sleep, and work is too much.\n"
    b"Lena: He says he cannot sleep and work is too much.\n"
    b"Dana: That sounds exhausting.\n"
)


def test_a_speaker_marked_no_client_is_analysed_as_other_and_the_roles_can_be_changed_later(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    upload(client, mara_session, csrf, data=INTERPRETED)
    page = client.get(f"/sessions/{mara_session.id}").text
    assert 'name="not_client" value="Lena"' in page
    confirmed = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": csrf, "therapist_speaker": "Dana", "not_client": "Lena"},
    )
    assert confirmed.status_code == 303

    def roles() -> dict[str, str]:
        stored = stored_transcript(demo_practice, ada, mara_session)
        assert stored is not None
        return {turn.speaker: turn.role.value for turn in stored.conversation.turns}

    assert roles() == {"Dana": "therapist", "Lena": "other", "Sam": "client"}
    report = client.get(f"/sessions/{mara_session.id}").text
    assert "Therapist: Dana · Client: Sam · Not a client: Lena" in report
    assert "Change who is who" in report
    assert 'name="not_client" value="Lena" checked aria-describedby="not-client-hint"' in report
    changed = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": csrf, "therapist_speaker": "Dana"},
    )
    assert changed.status_code == 303
    assert changed.headers["location"].endswith("?status=changed")
    assert (
        "The speakers were changed and the transcript analysed again."
        in client.get(changed.headers["location"]).text
    )
    assert roles() == {"Dana": "therapist", "Lena": "client", "Sam": "client"}


def test_the_not_a_client_choices_leave_out_the_speaker_chosen_as_therapist(
    client: TestClient, mara_session: Session
) -> None:
    csrf = log_in(client, "ada")
    upload(client, mara_session, csrf, data=INTERPRETED)
    page = client.get(f"/sessions/{mara_session.id}").text
    chosen = re.search(r'name="therapist_speaker" value="([^"]+)" required checked', page)
    assert chosen, "a speaker is preselected as the therapist"
    offered = re.findall(
        r'<div class="check">\s*<input type="checkbox" id="not-client-\d" name="not_client" '
        r'value="([^"]+)"',
        page,
    )
    assert chosen.group(1) not in offered
    assert len(offered) == 2
    assert re.search(
        rf'<div class="check" hidden>\s*<input type="checkbox" id="not-client-\d" name="not_client" '
        rf'value="{chosen.group(1)}" disabled',
        page,
    )
    # After a refusal, the speaker chosen then is the one left out, and the problem is said beside it.
    refused = client.post(
        f"/sessions/{mara_session.id}/transcript/roles",
        data={"csrf_token": csrf, "therapist_speaker": "Sam", "not_client": ["Dana", "Lena"]},
    )
    assert refused.status_code == 422
    assert "At least one speaker must be a client" in alert_text(refused.text)
    assert re.search(r'<div class="check" hidden>\s*<input [^>]*value="Sam" disabled', refused.text)
    assert re.search(
        r'value="Dana" checked aria-invalid="true" aria-describedby="roles-error not-client-hint" '
        r"autofocus",
        refused.text,
    )


def test_a_supervisor_is_not_offered_to_change_who_is_who(
    client: TestClient, demo_practice: Practice, ada: Clinician, mara_session: Session
) -> None:
    demo_practice.import_transcript(ada, mara_session.id, filename="s.txt", data=TRANSCRIPT, therapist="Dana")
    log_in(client, "sol")
    assert "Change who is who" not in client.get(f"/sessions/{mara_session.id}").text


def test_the_therapists_words_for_a_suggestion_show_in_the_report_and_its_download(
    client: TestClient, demo_practice: Practice, ada: Clinician, ada_case: Case
) -> None:
    session_3 = sorted(demo_practice.case_detail(ada, ada_case.id).sessions, key=lambda s: s.number)[2]
    csrf = log_in(client, "ada")
    url = f"/sessions/{session_3.id}/suggestions/opening"
    refused = client.post(f"{url}/words", data={"csrf_token": csrf, "text": "  "})
    assert refused.status_code == 422
    assert "empty" in refused.text
    kept = client.post(
        f"{url}/words", data={"csrf_token": csrf, "text": "What stayed with you from last time?"}
    )
    assert kept.status_code == 204
    page = client.get(f"/sessions/{session_3.id}").text
    assert "What stayed with you from last time?" in page
    assert "in your words" in page
    assert 'As suggested: <span class="sr-suggestion__suggested-text">' in page
    download = client.get(f"/sessions/{session_3.id}/report.html").text
    assert "What stayed with you from last time?" in download
    suggested = client.post(f"{url}/suggested-words", data={"csrf_token": csrf})
    assert suggested.status_code == 200
    assert suggested.text.startswith("Before we start")
    back = client.get(f"/sessions/{session_3.id}").text
    assert "What stayed with you from last time?" not in back
    assert "in your words" not in back

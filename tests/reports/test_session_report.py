"""The session report: typed data from an analysis (labels built by hand) and its HTML."""

import json
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeenough.analysis import AnalysisResult
from safeenough.domain.annotation import Annotation, AnnotationSet, AnnotationValue
from safeenough.domain.conversation import Conversation, SpeakerRole, Turn
from safeenough.domain.validation import DomainError
from safeenough.reports import (
    CheckInItem,
    CheckInSummary,
    build_session_report,
    render_session_report_html,
    session_report_css,
)
from tests.builders import with_speakers

Labels = dict[str, AnnotationValue]


def analysed(*turns: tuple[str, str, Labels], session_labels: Labels | None = None) -> AnalysisResult:
    """Turns as ("T" or "C", text, labels); the labels become annotations by a test component."""
    built = tuple(
        Turn(
            index=i,
            speaker="Therapist" if who == "T" else "Sam",
            role=SpeakerRole.THERAPIST if who == "T" else SpeakerRole.CLIENT,
            text=text,
        )
        for i, (who, text, _) in enumerate(turns)
    )
    annotations = [
        Annotation(i, key, value, None, (), "test_labels.v1")
        for i, (_, _, labels) in enumerate(turns)
        for key, value in labels.items()
    ]
    annotations += [
        Annotation(None, key, value, None, (), "test_labels.v1")
        for key, value in (session_labels or {}).items()
    ]
    return AnalysisResult(Conversation("s1", built), AnnotationSet(tuple(annotations)), ("test_labels.v1",))


DEFENSIVE_WORDS = "I'm not an alcoholic, so don't make me out to be some kind of drunk."


def defensive_session(client_opening: str = "My wife sent me.") -> AnalysisResult:
    """An unrepaired defending-self moment after advice, then, once the client has spoken three more
    times, a withdrawal repaired by a check-in (too late to count for the first moment)."""
    return analysed(
        ("T", "What brings you here?", {"behaviour": "question", "question": "open", "stance": "exploring"}),
        ("C", client_opening, {"talk_type": "neutral", "marker": "none"}),
        (
            "T",
            "You need to stop drinking.",
            {"behaviour": "therapist_input", "input": "advice", "stance": "pressing"},
        ),
        (
            "C",
            DEFENSIVE_WORDS,
            {"talk_type": "sustain", "marker": "confrontation", "subtype": "defends_self"},
        ),
        ("T", "So you drink less than people think.", {"behaviour": "reflection", "reflection": "simple"}),
        ("C", "Mm.", {"marker": "none"}),
        ("T", "Let's look at your week.", {"behaviour": "therapist_input", "stance": "neutral"}),
        ("C", "Work was busy.", {"talk_type": "neutral", "marker": "none"}),
        ("T", "Mm-hm.", {"behaviour": "other", "stance": "neutral"}),
        ("C", "Yeah.", {"marker": "withdrawal", "subtype": "minimal_response"}),
        (
            "T",
            "I may have come across as judging you. What was that like?",
            {
                "behaviour": "reflection",
                "reflection": "complex",
                "stance": "exploring",
                "check_in": True,
                "repair": "own_part",
            },
        ),
        ("C", "I do want to cut down.", {"talk_type": "change", "marker": "none"}),
        session_labels={"quality": 0.62},
    )


def check_in(total: float, cutoff: float = 36, free_text: str | None = None) -> CheckInSummary:
    return CheckInSummary(
        instrument_title="Safety Check-in",
        total=total,
        cutoff=cutoff,
        date=date(2025, 3, 4),
        items=(CheckInItem("Felt heard", 9, 10), CheckInItem("Safe to say what mattered", 5, 10)),
        free_text=free_text,
        maximum=50,
    )


def test_report_gathers_summary_moments_suggestions_and_indicators() -> None:
    report = build_session_report(defensive_session())
    assert report.turn_count == 12
    assert [hm.moment.turn for hm in report.moments] == [3, 9]
    assert report.moments[0].suggestion is not None
    assert report.moments[0].suggestion.strategy == "validate"
    assert report.moments[1].suggestion is None  # repaired
    assert report.opening_suggestion is not None
    assert report.indicators.reflection_to_question.value == 2.0
    assert report.quality == pytest.approx(0.62)
    assert report.reading[0].startswith("One confrontation moment (turn 3)")


def test_highlighted_moments_carry_two_turns_of_context_before_and_after() -> None:
    report = build_session_report(defensive_session())
    context = report.moments[0].context
    assert [turn.index for turn in context] == [1, 2, 3, 4, 5]
    assert [turn.is_moment for turn in context] == [False, False, True, False, False]
    assert (
        report.moments[0].preceded
        == "Just before (turn 2), advice was given and the therapist pressed a point."
    )
    repaired = report.moments[1]
    assert [turn.index for turn in repaired.context] == [7, 8, 9, 10, 11]
    assert [turn.index for turn in repaired.context if turn.is_repair] == [10]


def test_context_stops_at_the_ends_of_the_session() -> None:
    report = build_session_report(analysed(("C", "No.", {"marker": "confrontation", "subtype": "denial"})))
    assert [turn.index for turn in report.moments[0].context] == [0]


def test_timeline_has_a_row_per_turn_with_marker_repair_check_in_and_stance() -> None:
    report = build_session_report(defensive_session())
    assert len(report.timeline) == 12
    check_in_row = report.timeline[10]
    assert (check_in_row.role, check_in_row.repair, check_in_row.check_in, check_in_row.stance) == (
        "therapist",
        "own_part",
        True,
        "exploring",
    )
    assert report.timeline[3].category == "confrontation"
    assert report.timeline[1].marker == "none"


def test_timeline_spec_is_vega_lite_with_one_point_per_event_and_no_client_words() -> None:
    report = build_session_report(defensive_session())
    spec = report.timeline_spec
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    rows = spec["data"]["values"]
    lanes = {(row["turn"], row["lane"]) for row in rows}
    assert (3, "Client: rupture") in lanes
    assert (10, "Therapist: check-in") in lanes
    assert (10, "Therapist: repair") in lanes
    assert (0, "Therapist: stance") in lanes
    assert "drunk" not in json.dumps(spec)
    json.dumps(spec)  # serialisable as it is


def test_every_timeline_event_is_drawn_with_a_shape_that_shows_when_filled() -> None:
    spec = build_session_report(defensive_session()).timeline_spec
    assert spec["mark"]["filled"] is True
    # Vega's "stroke" and "arrow" shapes are lines without area: filled, they are invisible.
    assert not {"stroke", "arrow"} & set(spec["encoding"]["shape"]["scale"]["range"])


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    return 1.05 / (luminance + 0.05)


def test_each_kind_of_timeline_event_stands_out_from_white_and_differs_by_shape_within_its_lane() -> None:
    spec = build_session_report(defensive_session()).timeline_spec
    colours = spec["encoding"]["color"]["scale"]["range"]
    assert all(contrast_with_white(colour) >= 3 for colour in colours), colours
    shape_scale = spec["encoding"]["shape"]["scale"]
    shapes = dict(zip(shape_scale["domain"], shape_scale["range"], strict=True))
    stances = [shapes[stance] for stance in ("exploring", "neutral", "assuming", "pressing")]
    assert len(set(stances)) == len(stances)
    assert spec["config"]["axis"]["labelFontSize"] >= 12
    assert spec["config"]["axis"]["labelColor"] == "#1f2a2e"


def test_the_timeline_key_names_every_kind_of_turn_and_marks_them_by_more_than_colour() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=False)
    key = html.split('aria-label="Timeline key"', 1)[1].split("</ul>", 1)[0]
    for words in (
        "confrontation",
        "withdrawal",
        "anticipated judgement",
        "repair",
        "check-in",
        "pressing",
        "assuming",
        "exploring",
        "other client turn",
        "other therapist turn (neutral)",
    ):
        assert words in key, words
    css = session_report_css()
    for kind, letter in (("confrontation", "C"), ("withdrawal", "W"), ("judgement", "J"), ("repair", "R")):
        assert f'.sr-strip__cell--{kind}::after {{ content: "{letter}"; }}' in css
    for pattern in ("client", "stance-assuming", "stance-pressing"):
        assert re.search(rf"\.sr-strip__cell--{pattern} {{ background: repeating-linear-gradient", css), (
            pattern
        )
    for colour in re.findall(r"\.sr-strip__cell--[\w-]+ \{ background: (#[0-9a-f]{6}); \}", css):
        assert colour == "#ffffff" or contrast_with_white(colour) >= 3, colour


def test_high_check_in_with_unrepaired_rupture_is_flagged_as_possible_masking_with_both_evidence() -> None:
    report = build_session_report(defensive_session(), check_in(46))
    (flag,) = report.disagreements
    assert flag.kind == "possible_masking"
    assert "46 of 50" in flag.check_in_evidence
    assert "36" in flag.check_in_evidence
    assert "turn 3" in flag.transcript_evidence
    assert "don't make me out" in flag.transcript_evidence
    assert flag.turns == (3,)


def test_low_check_in_with_no_markers_is_flagged_as_something_the_transcript_did_not_show() -> None:
    calm = analysed(("T", "How are you?", {"stance": "exploring"}), ("C", "Okay.", {"marker": "none"}))
    report = build_session_report(calm, check_in(30, free_text="I felt rushed at the end."))
    (flag,) = report.disagreements
    assert flag.kind == "not_in_transcript"
    assert "30 of 50" in flag.check_in_evidence
    assert "I felt rushed at the end." in flag.check_in_evidence
    assert "Safe to say what mattered 5" in flag.check_in_evidence
    assert "No withdrawal, confrontation or anticipated judgement" in flag.transcript_evidence


def test_agreeing_check_in_and_transcript_raise_no_flag() -> None:
    assert build_session_report(defensive_session(), check_in(30)).disagreements == ()
    calm = analysed(("C", "Okay.", {"marker": "none"}))
    assert build_session_report(calm, check_in(45)).disagreements == ()
    assert build_session_report(defensive_session(), None).disagreements == ()


def test_a_check_in_without_a_cut_off_is_shown_but_not_compared() -> None:
    summary = CheckInSummary("PHQ-9", total=12, cutoff=None, date=None)
    assert summary.is_low is None
    assert build_session_report(defensive_session(), summary).disagreements == ()


def test_check_in_summary_refuses_a_total_that_is_not_a_finite_number() -> None:
    with pytest.raises(DomainError):
        CheckInSummary("SRS", total=float("nan"), cutoff=36, date=None)


def test_transcript_turns_carry_badges_and_rupture_highlights() -> None:
    report = build_session_report(defensive_session())
    turns = report.transcript
    assert turns[3].highlight == "rupture-unrepaired"
    assert turns[9].highlight == "rupture-repaired"
    assert turns[10].highlight == "repair"
    assert turns[0].highlight is None
    assert "confrontation: defending self" in [badge.text for badge in turns[3].badges]
    assert {"open question", "exploring"} <= {badge.text for badge in turns[0].badges}
    assert "check-in" in [badge.text for badge in turns[10].badges]


class _Outline(HTMLParser):
    """Collects heading texts in order and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h2", "script"):
            self._in, self._attrs, self._text = tag, dict(attrs), ""

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in == "h2":
            self.headings.append(self._text.strip())
        elif tag == self._in == "script":
            self.scripts.append((self._attrs, self._text))
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._text += data


def test_html_reads_summary_then_moments_then_indicators_then_transcript() -> None:
    html = render_session_report_html(
        build_session_report(defensive_session(), check_in(46)), standalone=True
    )
    outline = _Outline()
    outline.feed(html)
    assert outline.headings[:4] == ["Summary", "Moments", "Counselling indicators", "Transcript"]


def test_a_moment_says_how_sure_the_model_is_when_its_confidence_is_calibrated() -> None:
    session = defensive_session()
    # turn 3's marker as the calibrated component stores it; the other moment keeps a hand-made label
    calibrated = Annotation(3, "marker", "confrontation", 0.42, (), "rupture_markers.v3")
    others = tuple(a for a in session.annotations if not (a.key == "marker" and a.target_turn == 3))
    result = AnalysisResult(
        session.conversation, AnnotationSet((calibrated, *others)), ("rupture_markers.v3",)
    )
    html = render_session_report_html(build_session_report(result, None), standalone=True)
    assert "How sure: about 4 in 10." in html
    assert html.count("How sure:") == 1


def test_html_escapes_client_text_so_an_injected_script_shows_as_text() -> None:
    injected = "<script>alert('x')</script> & <b>bold</b>"
    report = build_session_report(
        defensive_session(client_opening=injected), check_in(46, free_text=injected)
    )
    for standalone in (True, False):
        html = render_session_report_html(report, standalone=standalone)
        assert "<script>alert" not in html
        assert "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
        outline = _Outline()
        outline.feed(html)
        # The only script element is the timeline's JSON data block, which no browser executes.
        assert [attrs.get("type") for attrs, _ in outline.scripts] == ["application/json"]
        assert json.loads(outline.scripts[0][1]) == report.timeline_spec


def test_an_injected_script_in_a_moment_quote_is_escaped_in_the_suggestion_too() -> None:
    result = analysed(
        ("C", "</blockquote><script>x()</script>", {"marker": "confrontation", "subtype": "defends_self"})
    )
    html = render_session_report_html(build_session_report(result), standalone=False)
    assert "<script>x()" not in html
    assert "&lt;/blockquote&gt;&lt;script&gt;x()" in html


def test_standalone_html_is_a_whole_document_with_its_css_inlined_and_nothing_fetched() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=True)
    assert html.lstrip().startswith("<!doctype html>")
    assert "<style>" in html
    assert ".sr-turn" in html
    assert session_report_css().strip()[:40] in html
    assert not re.search(r"<(link|img|script)[^>]+(href|src)=", html)


def test_in_app_html_is_a_fragment_without_inline_styles_for_the_app_layout() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=False)
    assert "<html" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert 'id="turn-3"' in html
    assert "sr-turn--rupture-unrepaired" in html


def test_html_shows_the_suggested_check_in_quoting_the_client_with_its_turn_and_strategy() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=False)
    assert 'data-suggestion-id="turn-3"' in html
    assert 'data-turn="3"' in html
    assert 'data-strategy="validate"' in html
    assert "don&#39;t make me out to be some kind of drunk" in html
    assert "never sent to the client" in html


def test_html_without_moments_or_check_in_still_renders_and_says_so() -> None:
    report = build_session_report(analysed(("T", "Hello.", {}), ("C", "Hi.", {})))
    html = render_session_report_html(report, standalone=True)
    assert "No check-in is linked to this session" in html
    assert "No moments to show" in html
    assert "not enough" in html


def test_the_report_cites_its_sources() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=True)
    assert "Eubanks, Muran &amp; Safran 2015" in html
    assert "MITI 4.2.1" in html


labels_for_therapist = st.fixed_dictionaries(
    {},
    optional={
        "stance": st.sampled_from(["exploring", "neutral", "assuming", "pressing"]),
        "check_in": st.booleans(),
        "repair": st.sampled_from(["validation", "none", "n/a", "metacommunication"]),
        "behaviour": st.sampled_from(["question", "reflection", "therapist_input", "other"]),
    },
)
labels_for_client = st.fixed_dictionaries(
    {"marker": st.sampled_from(["none", "withdrawal", "confrontation"])},
    optional={
        "subtype": st.sampled_from(["defends_self", "deferential", "minimal_response", "hopeless"]),
        "anticipates_judgement": st.booleans(),
        "talk_type": st.sampled_from(["change", "neutral", "sustain"]),
    },
)


@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("T"), st.text(max_size=40), labels_for_therapist),
            st.tuples(st.just("C"), st.text(max_size=40), labels_for_client),
        ),
        max_size=15,
    ),
    st.one_of(st.none(), st.floats(min_value=0, max_value=50)),
)
def test_any_labelled_session_renders_and_shares_sum_to_one(
    turns: list[tuple[str, str, Labels]], total: float | None
) -> None:
    summary = None if total is None else check_in(total)
    report = build_session_report(analysed(*turns), summary)
    shares = report.relational.stance_shares
    assert not shares or sum(shares.values()) == pytest.approx(1.0)
    ratio = report.indicators.reflection_to_question.value
    assert ratio is None or ratio >= 0
    assert len(report.disagreements) <= 1
    render_session_report_html(report, standalone=False)


def test_the_in_app_report_has_no_main_heading_of_its_own_and_the_standalone_one_does() -> None:
    report = build_session_report(defensive_session())
    assert "<h1" not in render_session_report_html(report, standalone=False)
    assert '<h1 id="sr-title"' in render_session_report_html(report, standalone=True)


def test_the_indicator_table_scrolls_in_its_own_box_and_model_ids_wait_under_technical_details() -> None:
    html = render_session_report_html(build_session_report(defensive_session()), standalone=True)
    assert re.search(r'<div class="sr-table-wrap">\s*<table class="sr-table">', html)
    footer = html.split('<footer class="sr-foot">', 1)[1]
    assert "<summary>Technical details</summary>" in footer
    assert "Produced by" not in footer


def test_in_a_couples_report_each_partner_is_compared_with_their_own_moments() -> None:
    sams_moments = defensive_session()  # every moment is Sam's
    ana = replace(check_in(46), client_name="Ana", speakers=("Ana",))
    sam = replace(check_in(46), client_name="Sam", speakers=("Sam",))
    report = build_session_report(sams_moments, check_ins=(ana, sam))
    assert [d.title.split("'s")[0] for d in report.disagreements] == ["Sam"]
    unmatched = replace(check_in(46), client_name="Ana", speakers=None)
    (whole_session,) = build_session_report(sams_moments, check_ins=(unmatched,)).disagreements
    assert whole_session.title.startswith("Ana's check-in is high")


def test_in_a_couple_session_a_suggestion_says_which_partner_it_is_for() -> None:
    two_clients = defensive_session()
    assert two_clients.conversation.turns[1].role is SpeakerRole.CLIENT
    couple = with_speakers(two_clients, {1: "Ana"})
    report = build_session_report(couple)
    html = render_session_report_html(report, standalone=True)
    moment = next(s for s in report.suggestions if s.turn is not None)
    assert report.addressed_to(moment) == "Sam"
    assert "· for Sam ·" in html
    single = build_session_report(defensive_session())
    assert all(single.addressed_to(s) is None for s in single.suggestions)


def test_at_a_glance_counts_each_moment_once_so_its_kinds_add_up_to_what_repaired_is_out_of() -> None:
    report = build_session_report(
        analysed(
            ("T", "What was the weekend like?", {"stance": "exploring"}),
            (
                "C",
                "You probably think I'm pathetic.",
                {"marker": "withdrawal", "subtype": "minimal_response", "anticipates_judgement": True},
            ),
            ("T", "I don't. What was it like?", {"repair": "validation"}),
            (
                "C",
                "I know you'll say I'm comparing again.",
                {"marker": "none", "anticipates_judgement": True},
            ),
        )
    )
    glance = dict(report.at_a_glance)
    assert (glance["Rupture moments"], glance["Anticipated judgement"], glance["Repaired"]) == (
        "1",
        "1",
        "1 of 2",
    )
    assert "In turn 1 the client also braced for judgement." in report.reading


def test_the_disagreement_evidence_ends_with_one_stop_when_it_ends_with_a_quote() -> None:
    report = build_session_report(
        analysed(
            ("T", "You really have to stick with it.", {"stance": "pressing"}),
            ("C", "Whatever. I said I'd try.", {"marker": "withdrawal", "subtype": "deferential"}),
        ),
        check_in(46),
    )
    (masking,) = report.disagreements
    assert masking.transcript_evidence.endswith("“Whatever. I said I'd try”.")


def test_the_figures_at_a_glance_agree_with_the_moment_cards_and_the_transcript_highlights() -> None:
    report = build_session_report(defensive_session(), check_in(46))
    html = render_session_report_html(report, standalone=True)
    glance = dict(report.at_a_glance)
    moments = int(glance["Rupture moments"]) + int(glance["Anticipated judgement"])
    repaired = int(glance["Repaired"].split(" of ")[0])
    assert glance["Repaired"].endswith(f" of {moments}")
    assert html.count('class="sr-moment sr-moment--') == moments
    assert html.count("sr-moment--repaired") == repaired
    transcript = html.split('<ol class="sr-transcript">', 1)[1]
    assert transcript.count("sr-turn--rupture-repaired") == repaired
    assert transcript.count("sr-turn--rupture-unrepaired") == moments - repaired
    assert len(report.moment_suggestions) == moments - repaired

"""The one source of the schema. Alembic migrations must produce exactly these tables.

Columns ending in `_sealed` hold clinical free text encrypted with `FieldCipher` (AES-GCM);
they are never stored or logged in plain text.
"""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Named constraints keep Alembic batch migrations on SQLite predictable.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

practices = Table(
    "practices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
)

clinicians = Table(
    "clinicians",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("practice_id", Integer, ForeignKey("practices.id", ondelete="CASCADE"), nullable=False),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("supervisor_id", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("role IN ('clinician', 'supervisor', 'admin')", name="role"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("practice_id", Integer, ForeignKey("practices.id", ondelete="CASCADE"), nullable=False),
    Column("clinician_id", Integer, ForeignKey("clinicians.id"), nullable=False, index=True),
    Column("title_sealed", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    # Alerts are evaluated when someone looks, not on every client submission (that path must stay fast):
    # the id of the newest check-in the case's alerts were last evaluated against.
    Column("alerts_checked_through", Integer, nullable=False, default=0, server_default="0"),
    # ...and when: links that lapse unanswered after this moment call for another look (missing check-ins).
    Column("alerts_checked_at", DateTime(timezone=True), nullable=True),
    # What the case's check-in links ask: instrument ids, comma-separated; null = the practice's default.
    Column("checkin_instruments", String(500), nullable=True),
    CheckConstraint("kind IN ('individual', 'couple', 'family')", name="kind"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("display_name_sealed", Text, nullable=False),
    Column("position", Integer, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("note_sealed", Text, nullable=True),
    Column("transcript_sealed", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "number", name="uq_sessions_case_number"),
)

session_attendees = Table(
    "session_attendees",
    metadata,
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("action", String(32), nullable=False),
    Column("target_kind", String(32), nullable=False),
    Column("target_id", Integer, nullable=True),
    Column("detail", String(500), nullable=False, default=""),
    # The case the record belongs to (None for accounts, logins, the practice as a whole), found from the
    # record when the event is written, so a case's access history is one indexed query. No foreign key:
    # the trail outlives what it names.
    Column("case_id", Integer, nullable=True),
    Index("ix_audit_events_at", "at"),
    Index("ix_audit_events_case_id", "case_id"),
    # The admin lists one account's events (what did this account read?) without reading the whole trail.
    Index("ix_audit_events_actor_id", "actor_id"),
)

login_sessions = Table(
    "login_sessions",
    metadata,
    # Only a hash of the cookie token is stored, so a copy of the database cannot be used to log in.
    Column("token_hash", String(64), primary_key=True),
    Column("clinician_id", Integer, ForeignKey("clinicians.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    # A keyed hash (HMAC-SHA256) of the username typed, never the text: someone may type their password
    # into the username field.
    Column("username_key", String(64), nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_login_attempts_username_key_at", "username_key", "at"),
)

checkin_links = Table(
    "checkin_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    # Comma-separated instrument ids, asked in this order.
    Column("instrument_ids", String(500), nullable=False),
    # The signed token carries a nonce; only its hash is stored, so the database cannot mint links. The
    # link is found by this hash, so the token need not name the link's id (a unique index, not a
    # constraint: SQLite adds an index without rebuilding the table its check-ins point at).
    Column("nonce_hash", String(64), nullable=False),
    Column("kiosk", Boolean, nullable=False, default=False),
    Column("created_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    # The caseload looks for each client's links that lapsed unanswered (missing check-ins).
    Index("ix_checkin_links_client_id_expires_at", "client_id", "expires_at"),
    Index("ix_checkin_links_nonce_hash", "nonce_hash", unique=True),
)

checkins = Table(
    "checkins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("link_id", Integer, ForeignKey("checkin_links.id", ondelete="SET NULL"), nullable=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("instrument_id", String(64), nullable=False),
    Column("instrument_version", String(32), nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    # Item answers as JSON numbers (null for skipped items), sealed: single items can be as telling as
    # the free text. The total stays readable because the caseload charts it in one query.
    Column("answers_sealed", Text, nullable=False),
    Column("free_text_sealed", Text, nullable=True),
    Column("total", Float, nullable=True),
    UniqueConstraint(
        "session_id", "client_id", "instrument_id", name="uq_checkins_session_client_instrument"
    ),
    Index("ix_checkins_client_id", "client_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # One alert per rule and moment: recomputing alerts never duplicates one or resets its status. A keyed
    # hash (HMAC-SHA256) of kind, clients, session, instrument and item, so it says nothing without the key.
    Column("fingerprint", String(200), nullable=False, unique=True),
    # What the alert is about, sealed (JSON): kind, severity, client ids (both partners for a split
    # alliance), instrument and item. "PHQ-9 item 9" alone says a client endorsed thoughts of self-harm.
    Column("about_sealed", Text, nullable=False),
    # The rule and its evidence quote scores and items ("item 9 scored 2"), so they are sealed too.
    Column("rule_sealed", Text, nullable=False),
    Column("evidence_sealed", Text, nullable=False),
    Column("suggestion_sealed", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_note_sealed", Text, nullable=True),
    Column("status_changed_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("status_changed_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status"),
)

annotations = Table(
    "annotations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    # Null for a session-level annotation.
    Column("turn_index", Integer, nullable=True),
    Column("key", String(64), nullable=False),
    # Values and evidence may quote the client, so they are sealed like the transcript itself.
    Column("value_sealed", Text, nullable=False),
    Column("confidence", Float, nullable=True),
    Column("evidence", String(500), nullable=False, default=""),
    # "rupture_markers.v1": which component version produced it, so old reports stay reproducible.
    Column("produced_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_annotations_session_produced_by", "session_id", "produced_by"),
)

# Knowing the client: the formulation map, its history, relational patterns and their enactments.

formulation_entries = Table(
    "formulation_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    # Null for an entry of a couple's or family's shared map.
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
    # Sealed like the text: which part of a client's life an entry is about says much on its own.
    Column("domain_sealed", Text, nullable=False),
    Column("text_sealed", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_note_sealed", Text, nullable=True),
    Column("provenance_kind", String(16), nullable=False),
    Column("source_session_id", Integer, ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    Column("source_turn_index", Integer, nullable=True),
    Column("source_check_in_id", Integer, ForeignKey("checkins.id", ondelete="SET NULL"), nullable=True),
    Column("quote_sealed", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    # Set when the entry was taken off the map; it is kept, with its history, and can be put back.
    Column("removed_at", DateTime(timezone=True), nullable=True),
    Column("removed_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    CheckConstraint(
        "status IN ('client_said', 'therapist_hypothesis', 'checked_confirmed', 'checked_disconfirmed')",
        name="status",
    ),
    CheckConstraint(
        "provenance_kind IN ('session_turn', 'checkin_answer', 'therapist')", name="provenance_kind"
    ),
)

formulation_changes = Table(
    "formulation_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "entry_id",
        Integer,
        ForeignKey("formulation_entries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    # Both null on the first step (the entry's creation).
    Column("old_status", String(32), nullable=True),
    Column("old_text_sealed", Text, nullable=True),
    Column("new_status", String(32), nullable=False),
    Column("new_text_sealed", Text, nullable=False),
    Column("note_sealed", Text, nullable=True),
    Column("action", String(16), nullable=False),
    # A change of source: the provenance before and after, each one sealed JSON value.
    Column("old_source_sealed", Text, nullable=True),
    Column("new_source_sealed", Text, nullable=True),
    CheckConstraint(
        "action IN ('created', 'edited', 'source_changed', 'removed', 'restored')", name="action"
    ),
)

relational_patterns = Table(
    "relational_patterns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("wish_sealed", Text, nullable=False),
    Column("response_of_other_sealed", Text, nullable=False),
    Column("response_of_self_sealed", Text, nullable=False),
    # A JSON list of strings, sealed as one value.
    Column("examples_sealed", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
)

enactments = Table(
    "enactments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "pattern_id",
        Integer,
        ForeignKey("relational_patterns.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("turn_index", Integer, nullable=False),
    Column("quote_sealed", Text, nullable=False),
    Column("marker", String(32), nullable=False),
    Column("subtype", String(32), nullable=True),
    Column("status", String(16), nullable=False),
    Column("repaired", Boolean, nullable=True),
    Column("note_sealed", Text, nullable=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("linked_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("pattern_id", "session_id", "turn_index", name="uq_enactments_pattern_session_turn"),
    CheckConstraint("status IN ('linked', 'dismissed')", name="status"),
)

dismissed_suggestions = Table(
    "dismissed_suggestions",
    metadata,
    # A transcript suggestion ("formulation"), an enactment candidate ("enactment") or a session report's
    # suggested check-in ("report"; turn -1 for the opening) the therapist dismissed, so it is not
    # offered again. No text: the session and turn point to it (dismissals are matched by opening the
    # domain, never in SQL).
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("client_id", Integer, ForeignKey("clients.id", ondelete="CASCADE"), nullable=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("turn_index", Integer, nullable=False),
    # Null: every domain of that turn. Sealed like an entry's domain: which part of a client's life a
    # dismissed suggestion was about says much on its own.
    Column("domain_sealed", Text, nullable=True),
    Column("dismissed_at", DateTime(timezone=True), nullable=False),
    Column("dismissed_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    CheckConstraint("kind IN ('formulation', 'enactment', 'report')", name="kind"),
)

suggestion_edits = Table(
    "suggestion_edits",
    metadata,
    # The therapist's own wording of a session report's suggested check-in (turn -1: the opening), kept
    # with the session. `suggested_sealed` is the wording it was edited from: when a new analysis suggests
    # other words for that turn, the edit is about a suggestion that no longer exists and is not shown.
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("turn_index", Integer, nullable=False),
    Column("suggested_sealed", Text, nullable=False),
    Column("text_sealed", Text, nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=False),
    Column("edited_by", Integer, ForeignKey("clinicians.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("session_id", "turn_index", name="uq_suggestion_edits_session_turn"),
)

instruments = Table(
    "instruments",
    metadata,
    # Practice-licensed instrument definitions (`safeenough instrument add`), kept in the database so
    # every app server sharing it asks the same questions. Not clinical data: stored as given, unsealed.
    Column("id", String(64), primary_key=True),
    Column("version", String(40), nullable=False),
    # The definition file's bytes exactly as installed; parsed and checked again when the catalogue loads.
    Column("definition", LargeBinary, nullable=False),
    Column("source_name", String(255), nullable=False),
    Column("installed_at", DateTime(timezone=True), nullable=False),
    # 1 when first installed, one more for each replacement; with installed_at it tells a cache it is stale.
    Column("revision", Integer, nullable=False, default=1, server_default="1"),
)

"""Patient records, every version of each, their search keys, MRN counters and care
relationships."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import BigId, Json, Timestamp, metadata, search_key

patients = sa.Table(
    "patients",
    metadata,
    # An integer key that SQLite's full-text index can point at (a text key's rowid may
    # change on VACUUM); ids stay the public, unique handle.
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("mrn", sa.String(32), nullable=False),
    sa.Column("country_id", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name_text", sa.Text, nullable=False),
    sa.Column("given_names", Json, nullable=False),
    sa.Column("family_name", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("birth_date_estimated", sa.Boolean, nullable=False),
    sa.Column("sex", sa.String(16)),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("address", Json),
    # Folded copies that the list filters match against (served by the indexes below).
    sa.Column("address_search", search_key(1024)),
    sa.Column("city_search", search_key(256)),
    sa.Column("identifiers", Json, nullable=False),
    sa.Column("conditions", Json, nullable=False),
    sa.Column("allergies", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.UniqueConstraint("country_id", "mrn"),
    sa.Index("ix_patients_country_id_id", "country_id", "id"),
    sa.Index("ix_patients_city_search_id", "city_search", "id"),
    sa.Index("ix_patients_birth_date_id", "birth_date", "id"),
)

# Every version of every record as it stood, append-only, written in the unit that made
# it: the values `patient_row` gives the patients table, as one JSON document. Read by
# its key only (one version, or a record's versions newest first).
patient_versions = sa.Table(
    "patient_versions",
    metadata,
    sa.Column("patient_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("data", Json, nullable=False),
    # When the version was made (the record's `updated_at` then).
    sa.Column("recorded_at", Timestamp, nullable=False),
)

patient_name_tokens = sa.Table(
    "patient_name_tokens",
    metadata,
    sa.Column("token", search_key(128), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_patient_name_tokens_patient_id", "patient_id"),
)

patient_condition_terms = sa.Table(
    "patient_condition_terms",
    metadata,
    sa.Column("term", search_key(256), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_patient_condition_terms_patient_id", "patient_id"),
)

patient_identifiers = sa.Table(
    "patient_identifiers",
    metadata,
    sa.Column("system", sa.String(256), primary_key=True),
    sa.Column("value", sa.String(256), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Index("ix_patient_identifiers_patient_id", "patient_id"),
)

mrn_counters = sa.Table(
    "mrn_counters",
    metadata,
    sa.Column("country_id", sa.String(32), primary_key=True),
    sa.Column("last_value", sa.BigInteger, nullable=False),
)

care_relationships = sa.Table(
    "care_relationships",
    metadata,
    sa.Column("practitioner_id", sa.String(64), primary_key=True),
    sa.Column(
        "patient_id",
        sa.String(64),
        sa.ForeignKey("patients.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_care_relationships_patient_id", "patient_id"),
)

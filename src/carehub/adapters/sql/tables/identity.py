"""Accounts, sessions, one-time codes and signing keys."""

from __future__ import annotations

import sqlalchemy as sa

from carehub.adapters.sql.tables.base import Json, Timestamp, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("country_id", sa.String(32)),
    sa.Column("patient_id", sa.String(64)),
    sa.Column("practitioner_id", sa.String(64)),
    sa.Column("password_hash", sa.Text),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", Timestamp),
    sa.Column("signup_profile", Json),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_users_role", "role"),
    # One patient account per patient record (NULLs, the other roles, never collide).
    sa.Index("uq_users_patient_id", "patient_id", unique=True),
)

refresh_sessions = sa.Table(
    "refresh_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("issued_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("rotated_at", Timestamp),
    sa.Column("revoked_at", Timestamp),
    sa.Index("ix_refresh_sessions_family_id", "family_id"),
    sa.Index("ix_refresh_sessions_user_id", "user_id"),
)

otp_challenges = sa.Table(
    "otp_challenges",
    metadata,
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("purpose", sa.String(16), primary_key=True),
    sa.Column("code_hash", sa.Text, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("consumed_at", Timestamp),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column("algorithm", sa.String(16), nullable=False),
    sa.Column("private_pem", sa.Text, nullable=False),
    sa.Column("public_jwk", Json, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    # Set when a newer key takes over signing; the key keeps verifying until tokens it
    # signed have expired.
    sa.Column("superseded_at", Timestamp),
)

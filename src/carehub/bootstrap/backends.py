"""Which adapter each setting names besides the database: secrets, broker, object store,
CDN, mail, SMS, rate limits and external identity. Importing this module connects to
nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import APIRouter

from carehub.adapters.blob.folder import FolderObjectStore, folder_secret
from carehub.adapters.broker.memory import MemoryBroker
from carehub.adapters.cdn.none import NoCdn
from carehub.adapters.mail.folder import FolderMailer
from carehub.adapters.mail.smtp import smtp_mailer_from_url
from carehub.adapters.ratelimit.memory import MemoryRateLimiter
from carehub.adapters.secrets.aesgcm import AesGcmSecretBox
from carehub.adapters.secrets.key import key_encryption_key
from carehub.adapters.sms.folder import FolderSmsSender
from carehub.config import Settings
from carehub.documents.ports import CdnInvalidator, ObjectStore, StoredObjectEvents
from carehub.events.ports import Broker
from carehub.identity.commands import ExternalRoles
from carehub.identity.ports import ExternalTokenVerifier
from carehub.kernel.actor import Role
from carehub.kernel.clock import Clock
from carehub.kernel.mail import Mailer
from carehub.kernel.rate_limit import RateLimiter
from carehub.kernel.secret_box import SecretBox
from carehub.kernel.sms import SmsSender


def secret_box(settings: Settings) -> SecretBox:
    """The box sealing secrets at rest, with `CAREHUB_SECRET_KEY` or `<data_dir>/secret.key`."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    return AesGcmSecretBox(key_encryption_key(configured, settings.data_dir))


def connect_broker(settings: Settings) -> Broker:
    """Open the broker `CAREHUB_BROKER_URL` names."""
    url = settings.broker_url
    visibility = settings.event_visibility_timeout_seconds
    if url.startswith("memory://"):
        return MemoryBroker(visibility_timeout=visibility)
    if url.startswith(("redis://", "rediss://")):
        from carehub.adapters.broker.redis_streams import redis_broker_from_url

        return redis_broker_from_url(
            url, prefix=settings.broker_prefix, visibility_timeout=visibility
        )
    if url.startswith("sqs://"):
        from carehub.adapters.broker.sns_sqs import sqs_broker_from_url

        return sqs_broker_from_url(
            url,
            endpoint_url=settings.aws_endpoint_url,
            prefix=settings.broker_prefix,
            visibility_timeout=visibility,
        )
    raise ValueError("CAREHUB_BROKER_URL must start with memory://, redis:// or sqs://")


def storage_events(settings: Settings) -> StoredObjectEvents | None:
    """The queue `CAREHUB_STORAGE_EVENTS_URL` names, if any."""
    if not settings.storage_events_url:
        return None
    from carehub.adapters.blob.s3_events import s3_event_queue_from_url

    return s3_event_queue_from_url(
        settings.storage_events_url,
        endpoint_url=settings.aws_endpoint_url,
        key_prefix=urlsplit(settings.storage_url).path,
    )


def object_store(settings: Settings, clock: Clock) -> ObjectStore:
    """The object store `CAREHUB_STORAGE_URL` names (a folder in the data dir by default)."""
    url = settings.storage_url
    if url.startswith("s3://"):
        from carehub.adapters.blob.s3 import s3_object_store_from_url

        return s3_object_store_from_url(url, endpoint_url=settings.aws_endpoint_url)
    if url:
        raise ValueError("CAREHUB_STORAGE_URL must be empty (a local folder) or s3://bucket")
    root = settings.data_dir / "objects"
    return FolderObjectStore(root, clock, folder_secret(settings.data_dir / "objects.key"))


def cdn(settings: Settings) -> CdnInvalidator:
    if settings.cdn_url:
        from carehub.adapters.cdn.cloudfront import cloudfront_from_url

        prefix = urlsplit(settings.storage_url).path if settings.storage_url else ""
        return cloudfront_from_url(
            settings.cdn_url, endpoint_url=settings.aws_endpoint_url, key_prefix=prefix
        )
    return NoCdn()


def object_routes(settings: Settings) -> list[APIRouter]:
    """The routes the embedded folder store serves its signed URLs on (none for S3)."""
    if settings.storage_url:
        return []
    from carehub.adapters.blob.folder_http import folder_router

    return [folder_router()]


def streamed_bodies(settings: Settings) -> dict[str, int]:
    """Request paths whose bodies stream (uploads to the folder store), with their limits."""
    if settings.storage_url:
        return {}
    from carehub.adapters.blob.folder_http import upload_body_limit, upload_path

    return {upload_path(): upload_body_limit(settings.upload_max_bytes)}


def sms_sender(settings: Settings) -> SmsSender:
    if settings.sms_url:
        from carehub.adapters.sms.sns import sns_sms_sender_from_url

        return sns_sms_sender_from_url(settings.sms_url, endpoint_url=settings.aws_endpoint_url)
    return FolderSmsSender(settings.data_dir / "sms")


def mailer(settings: Settings) -> Mailer:
    if settings.mail_url:
        return smtp_mailer_from_url(settings.mail_url)
    return FolderMailer(settings.data_dir / "outbox")


async def rate_limiters(
    settings: Settings, clock: Clock
) -> tuple[RateLimiter, RateLimiter, Callable[[], Awaitable[None]]]:
    """The sign-in limiter and the request-rate limiter, and what closes them.

    Each counts in its own key space, so a flood of new request keys (one per address) can
    never push the sign-in windows out of a bounded in-memory limiter.
    """
    if settings.cache_url:
        from carehub.adapters.ratelimit.redis import redis_rate_limiter_from_url

        sign_in = redis_rate_limiter_from_url(settings.cache_url)
        return sign_in, sign_in.in_space("carehub:rq:"), sign_in.close

    async def nothing() -> None:
        return None

    return MemoryRateLimiter(clock), MemoryRateLimiter(clock), nothing


def external_verifier(settings: Settings) -> ExternalTokenVerifier | None:
    if not settings.oidc_issuer:
        return None
    from carehub.adapters.identity.oidc import OidcVerifier

    return OidcVerifier(
        settings.oidc_issuer,
        jwks_url=settings.oidc_jwks_url,
        audience=settings.oidc_audience,
        groups_claim=settings.oidc_groups_claim,
    )


def external_roles(settings: Settings) -> ExternalRoles | None:
    if not settings.oidc_group_roles:
        return None
    return ExternalRoles({group: Role(role) for group, role in settings.oidc_group_roles.items()})

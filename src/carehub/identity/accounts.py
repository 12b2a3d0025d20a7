"""Accounts: the rules an account must keep whoever changes it (links that fit its role
and name a real record, the last admin in office), adding and saving one, and the
administration use cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from carehub.identity.commands import NewUser, UserChanges
from carehub.identity.errors import LastAdmin, UserNotFound
from carehub.identity.events import UserActivated, UserChanged, UserCreated
from carehub.identity.hashing import HashSlot
from carehub.identity.model import (
    ASSIGNABLE_ROLES,
    User,
    UserStatus,
    check_password,
    normalise_email,
)
from carehub.identity.ports import IdentityUnitOfWork
from carehub.kernel.actor import Actor, Role
from carehub.kernel.clock import Clock
from carehub.kernel.errors import FieldError, Forbidden, Invalid
from carehub.kernel.ids import new_id
from carehub.kernel.pagination import Page, check_limit


class AccountService:
    def __init__(
        self, uow_factory: Callable[[], IdentityUnitOfWork], clock: Clock, *, hashes: HashSlot
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._hashes = hashes

    async def create_user(self, *, actor: Actor, new: NewUser) -> User:
        """Admins (and operators) create accounts of any role."""
        if not actor.unrestricted:
            raise Forbidden("Only admins create accounts")
        return await self._create(actor, new)

    async def has_admin(self) -> bool:
        """Whether any admin account exists (the start-up hint to create the first one)."""
        async with self._uow() as uow:
            return await uow.users.admin_exists()

    async def ensure_admin(self, *, email: str, password: str) -> User | None:
        """Create the first admin unless an admin exists (start-up bootstrap)."""
        async with self._uow() as uow:
            if await uow.users.admin_exists():
                return None
        new = NewUser(email=email, password=password, role=Role.ADMIN)
        return await self._create(Actor.system("bootstrap"), new)

    async def get_user(self, *, actor: Actor, user_id: str) -> User:
        if not actor.unrestricted and actor.id != user_id:
            raise UserNotFound(user_id)
        async with self._uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user

    async def me(self, *, actor: Actor) -> User | None:
        """The caller's own account; None for an external provider's principal that
        carehub holds no account of (the caller is then described by the actor alone)."""
        async with self._uow() as uow:
            user = await uow.users.get(actor.id)
        if user is None and actor.external is None:
            raise UserNotFound(actor.id)
        return user

    async def list_users(self, *, actor: Actor, cursor: str | None, limit: int) -> Page[User]:
        check_limit(limit)
        if not actor.unrestricted:
            raise Forbidden("Only admins list accounts")
        async with self._uow() as uow:
            return await uow.users.list(cursor=cursor, limit=limit)

    async def change_user(self, *, actor: Actor, user_id: str, changes: UserChanges) -> User:
        """Admins change role, status, country and links; that signs the user out."""
        if not actor.unrestricted:
            raise Forbidden("Only admins change roles, status, country or links")
        now = self._clock.now()
        async with self._uow() as uow:
            # Locked before the read: the rule holds against a concurrent change too.
            admins = await uow.users.lock_active_admins() if may_unseat(changes) else None
            user = await uow.users.get(user_id)
            if user is None:
                raise UserNotFound(user_id)
            fields = {k: v for k, v in vars(changes).items() if v is not None}
            changed = tuple(k for k, v in fields.items() if getattr(user, k) != v)
            if not changed:
                return user
            revised = replace(user, **fields, updated_at=now, version=user.version + 1)
            check_links(revised)
            unseated = is_active_admin(user) and not is_active_admin(revised)
            if admins is not None and unseated and not admins - {user_id}:
                raise LastAdmin()
            if not await uow.users.replace(revised, expected_version=user.version):
                raise Invalid("The account changed meanwhile; try again")
            if "patient_id" in changed:
                await check_patient_exists(uow, revised)
            await uow.sessions.revoke_user(user_id, now)
            uow.record(
                UserChanged(
                    aggregate_id=user_id, occurred_at=now, actor_id=actor.id, changed_fields=changed
                )
            )
            await uow.commit()
        return revised

    async def _create(self, actor: Actor, new: NewUser) -> User:
        email = normalise_email(new.email)
        if new.role not in ASSIGNABLE_ROLES:
            raise Invalid("role is not valid", errors=[FieldError("role", "not a role")])
        hashed = None
        if new.password is not None:
            check_password(new.password, email)
            hashed = await self._hashes.hash(new.password)
        now = self._clock.now()
        practitioner_id = new.practitioner_id
        if new.role is Role.DOCTOR and practitioner_id is None:
            practitioner_id = new_id()
        user = User(
            id=new_id(),
            email=email,
            role=new.role,
            status=UserStatus.ACTIVE,
            country_id=new.country_id,
            patient_id=new.patient_id,
            practitioner_id=practitioner_id,
            password_hash=hashed,
            failed_logins=0,
            locked_until=None,
            created_at=now,
            updated_at=now,
        )
        check_links(user)
        async with self._uow() as uow:
            await check_patient_exists(uow, user)
            await add_user(uow, actor, user)
            await uow.commit()
        return user


async def add_user(uow: IdentityUnitOfWork, actor: Actor, user: User) -> None:
    """Add a new account and its `UserCreated` event to the unit of work."""
    await uow.users.add(user)
    uow.record(
        UserCreated(
            aggregate_id=user.id,
            occurred_at=user.created_at,
            actor_id=actor.id,
            role=user.role.value,
            country_id=user.country_id,
        )
    )


async def save_user(
    uow_factory: Callable[[], IdentityUnitOfWork], user: User, event: UserActivated | None = None
) -> None:
    """Store an account's new state (and its event) over whatever version is stored."""
    async with uow_factory() as uow:
        current = await uow.users.get(user.id)
        if current is None:
            raise UserNotFound(user.id)
        await uow.users.replace(
            replace(user, version=current.version + 1), expected_version=current.version
        )
        if event is not None:
            uow.record(event)
        await uow.commit()


def may_unseat(changes: UserChanges) -> bool:
    """Whether the change could take an active admin out of office."""
    return changes.role not in (None, Role.ADMIN) or changes.status not in (
        None,
        UserStatus.ACTIVE,
    )


def is_active_admin(user: User) -> bool:
    return user.role is Role.ADMIN and user.status is UserStatus.ACTIVE


def check_links(user: User) -> None:
    """Patients link to their record, doctors to their practitioner record."""
    if user.role is Role.PATIENT and user.patient_id is None:
        raise Invalid(
            "a patient account needs patientId", errors=[FieldError("patientId", "required")]
        )
    if user.role is not Role.PATIENT and user.patient_id is not None:
        raise Invalid(
            "only patient accounts link a patient",
            errors=[FieldError("patientId", "only for patients")],
        )


async def check_patient_exists(uow: IdentityUnitOfWork, user: User) -> None:
    """An account links only a record that exists (else it would gain the access of
    whatever record later takes that id)."""
    if user.patient_id is not None and await uow.patient_directory.contact(user.patient_id) is None:
        raise Invalid(
            "patientId names no patient record",
            errors=[FieldError("patientId", "no such patient")],
        )

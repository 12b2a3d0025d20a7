"""Who is acting, passed into every use case so access rules and audit can use it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    """The principal behind a call plus where the call came from."""

    id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    country_id: str | None = None
    request_id: str | None = None
    client_address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """An operator or background process acting on its own behalf."""
        return cls(id=f"system:{name}", roles=frozenset({"system"}))

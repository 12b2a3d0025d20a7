"""Typed route dependencies: the use cases (and ports) an app was built with, by type.

A domain's `api.py` names what its routes need at its top, e.g.
`Patients = Annotated[PatientService, Depends(use_case(PatientService))]`, and a route takes
`patients: Patients`: a reader, mypy and FastAPI all follow the same trail, and a test
replaces one use case with `app.dependency_overrides[use_case(PatientService)]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, FastAPI, Request

from carehub.kernel.clock import Clock

T = TypeVar("T")

# Keys are `Callable[..., T]` rather than `type[T]` so that Protocol classes (the clock, the
# idempotency store) can be keys too: mypy refuses abstract classes where `type[T]` is due.
Kind = Callable[..., T]


class UseCases:
    """What an app's routes may ask for, found by its type; filled when the app starts."""

    __slots__ = ("_provided",)

    def __init__(self) -> None:
        self._provided: dict[Any, object] = {}

    def provide(self, kind: Kind[T], instance: T) -> None:
        """Serve `instance` to the routes that ask for `kind`."""
        self._provided[kind] = instance

    def get(self, kind: Kind[T]) -> T:
        """What was provided for `kind` (LookupError before the app has started)."""
        try:
            return cast(T, self._provided[kind])
        except KeyError:
            name = getattr(kind, "__name__", repr(kind))
            raise LookupError(f"The app provides no {name} (has it started?)") from None


def install_use_cases(app: FastAPI) -> UseCases:
    """Give `app` an empty registry for its routes; the app fills it when it starts."""
    use_cases = UseCases()
    app.state.use_cases = use_cases
    return use_cases


def use_cases_of(request: Request) -> UseCases:
    """The registry of the app serving `request`."""
    use_cases: UseCases = request.app.state.use_cases
    return use_cases


@cache
def use_case(kind: Kind[T]) -> Callable[[Request], Awaitable[T]]:
    """The dependency that gives a route what the app provides for `kind`.

    The same callable for the same kind, so `app.dependency_overrides` can replace it. It
    is `async def`: a plain `def` dependency would run in the thread pool on every request.
    """

    async def provided(request: Request) -> T:
        return use_cases_of(request).get(kind)

    name = getattr(kind, "__name__", "use_case")
    provided.__name__ = provided.__qualname__ = f"provided_{name}"
    return provided


AppClock = Annotated[Clock, Depends(use_case(Clock))]
"""The clock the app was built with (routes that render ages need today's date)."""

"""Races for one counter or slot: queued in one process, run again when lost to another."""

from __future__ import annotations

import asyncio

import pytest

from carehub.kernel.errors import Conflict
from carehub.kernel.races import LostRace, OneAtATime, run_again_on_lost_race


class Contended:
    """A use case whose first `losses` runs lose their race."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.runs = 0

    async def __call__(self) -> str:
        self.runs += 1
        if self.runs <= self.losses:
            raise LostRace("another unit committed first")
        return "committed"


async def test_a_run_that_lost_a_race_runs_again_until_it_commits() -> None:
    use_case = Contended(losses=3)
    assert await run_again_on_lost_race(use_case, attempts=5) == "committed"
    assert use_case.runs == 4


async def test_the_last_loss_is_raised_as_a_conflict_after_every_attempt() -> None:
    use_case = Contended(losses=10)
    with pytest.raises(LostRace) as lost:
        await run_again_on_lost_race(use_case, attempts=3)
    assert isinstance(lost.value, Conflict)  # answered 409: try again later
    assert use_case.runs == 3


async def test_other_errors_are_not_run_again() -> None:
    runs = 0

    async def refused() -> None:
        nonlocal runs
        runs += 1
        raise Conflict("this MRN is taken")

    with pytest.raises(Conflict):
        await run_again_on_lost_race(refused)
    assert runs == 1


async def test_runs_of_one_key_go_one_at_a_time_and_other_keys_go_freely() -> None:
    queue = OneAtATime()
    inside: dict[str, int] = {"PE": 0, "CL": 0}
    most: dict[str, int] = {"PE": 0, "CL": 0}
    overlapped = asyncio.Event()

    async def register(country: str) -> None:
        async with queue.holding(country):
            inside[country] += 1
            most[country] = max(most[country], inside[country])
            if inside["PE"] and inside["CL"]:
                overlapped.set()
            await asyncio.sleep(0.01)
            inside[country] -= 1

    await asyncio.gather(*(register(country) for country in ["PE", "CL"] * 4))
    assert most == {"PE": 1, "CL": 1}
    assert overlapped.is_set()


async def test_a_key_nobody_holds_or_awaits_is_forgotten() -> None:
    queue = OneAtATime()
    with pytest.raises(Conflict):
        async with queue.holding("PE"):
            raise Conflict("refused inside")
    async with queue.holding("CL"):
        pass
    assert not queue._locks and not queue._users

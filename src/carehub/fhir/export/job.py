"""An export job's state: what was asked, how far its steps got, the files written.

It is kept as one JSON document (`job_store.py`) and read back with `from_json`, so every
field is a plain value there: ids, codes, counts, instants and the patient list's cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from carehub.fhir.export.request import ExportRequest, Level

# How long a finished export's files (and manifest) are kept: a day to fetch them.
FILE_LIFETIME = timedelta(hours=24)
# A file holds at most this many resources; a step with more of one type writes several.
MAX_LINES_PER_FILE = 10_000


@dataclass(frozen=True)
class Position:
    """Where an export stands between steps: `steps` done, whether the clinics' side
    (countries and doctors) was written, the patient list's cursor for the next step."""

    steps: int = 0
    directory_done: bool = False
    cursor: str | None = None
    patients: int = 0  # patients read so far
    finished: bool = False


@dataclass(frozen=True)
class Output:
    """One file written: its resource type, its name (`Patient-2.ndjson`), its lines."""

    resource_type: str
    name: str
    count: int


@dataclass(frozen=True)
class ExportJob:
    id: str
    requested_by: str  # the admin's user id: the only one who may poll or cancel it
    request_url: str  # the kick-off as the client sent it, on the public origin
    request: ExportRequest
    transaction_time: datetime  # when it was asked (see the package's docstring)
    position: Position
    outputs: tuple[Output, ...]
    updated_at: datetime
    completed_at: datetime | None = None

    @property
    def expires_at(self) -> datetime | None:
        """When its files are deleted: FILE_LIFETIME after it finished."""
        return None if self.completed_at is None else self.completed_at + FILE_LIFETIME

    def advanced(self, position: Position, outputs: list[Output], now: datetime) -> ExportJob:
        """The job after a step that got to `position` and wrote `outputs`."""
        return replace(
            self,
            position=position,
            outputs=(*self.outputs, *outputs),
            updated_at=now,
            completed_at=now if position.finished else None,
        )

    def files_of(self, resource_type: str) -> int:
        """How many files of the type were written so far (the next is numbered after)."""
        return sum(1 for o in self.outputs if o.resource_type == resource_type)

    def to_json(self) -> dict[str, Any]:
        r, p = self.request, self.position
        return {
            "id": self.id,
            "requestedBy": self.requested_by,
            "requestUrl": self.request_url,
            "request": {
                "level": r.level.value,
                "types": list(r.types),
                "since": _instant(r.since),
                "group": r.group,
            },
            "transactionTime": _instant(self.transaction_time),
            "position": {
                "steps": p.steps,
                "directoryDone": p.directory_done,
                "cursor": p.cursor,
                "patients": p.patients,
                "finished": p.finished,
            },
            "outputs": [
                {"type": o.resource_type, "name": o.name, "count": o.count} for o in self.outputs
            ],
            "updatedAt": _instant(self.updated_at),
            "completedAt": _instant(self.completed_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportJob:
        """The job `to_json` wrote (carehub's own document: a bad one is a KeyError)."""
        r, p = data["request"], data["position"]
        return cls(
            id=str(data["id"]),
            requested_by=str(data["requestedBy"]),
            request_url=str(data["requestUrl"]),
            request=ExportRequest(
                level=Level(r["level"]),
                types=tuple(str(t) for t in r["types"]),
                since=_moment(r["since"]),
                group=r["group"],
            ),
            transaction_time=datetime.fromisoformat(data["transactionTime"]),
            position=Position(
                steps=int(p["steps"]),
                directory_done=bool(p["directoryDone"]),
                cursor=p["cursor"],
                patients=int(p["patients"]),
                finished=bool(p["finished"]),
            ),
            outputs=tuple(
                Output(str(o["type"]), str(o["name"]), int(o["count"])) for o in data["outputs"]
            ),
            updated_at=datetime.fromisoformat(data["updatedAt"]),
            completed_at=_moment(data["completedAt"]),
        )


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)

"""``record-deployment``: note that a consumer or provider version now runs in an environment.

Each call adds a numbered record under ``deployments/<environment>/<role>/<name>/``; the highest number
is what runs there now. Earlier records stay, so the history of an environment is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .. import __version__
from .records import ROLES, Deployment, RecordError, check_name, check_version
from .store import add, next_number


def record_deployment(target: str, role: str, name: str, version: str, environment: str, *,
                      at: datetime | None = None) -> Deployment:
    """Record ``name`` ``version`` as deployed to ``environment`` in the store; the record."""
    if role not in ROLES:
        raise RecordError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    check_name(role, name)
    check_version("version", version)
    check_name("environment", environment)
    stamp = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    made: list[Deployment] = []

    def make(root):
        number = next_number(root, f"deployments/{environment}/{role}/{name}")
        made[:] = [Deployment(environment, role, name, version, number, __version__, stamp)]
        return made

    add(target, make, f"Record deployment of {name} {version} to {environment}")
    return made[0]

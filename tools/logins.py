"""The demo sign-in accounts of the local OIDC provider (Dex), in one place.

For every demo region (:data:`tools.demo.REGIONS`) there is one login per role: an employee of the
unit ``dinkes`` and that unit's head as supervisor, both with NIPs of the demo plan
(:func:`tools.demo.plan_region`), so that a signed-in user finds their own data after ``make run``;
and an HR administrator (BKPSDM) and a region administrator, who have no NIP.

These are local demo accounts: their passwords are fixed, one per role, and printed on purpose.

Dex gets them as ``staticPasswords`` with the claims the web reads: ``preferred_username`` (the
NIP, or the e-mail's local part when there is none), ``name`` and ``groups``
(``role:<role>``, ``region:<region>``)::

    python -m tools.logins dex-config OUT --port 5556 [--client-id kinerja-web]
    python -m tools.logins table [--markdown]

``deploy/local/stack.sh`` runs the first at ``up``; docs/web.md holds the second's Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shared.auth import Role
from tools.demo import REGIONS, Person, plan_region

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_PORT",
    "DOMAIN",
    "Login",
    "dex_config",
    "issuer",
    "login",
    "logins",
    "markdown_table",
    "print_table",
]

#: Port of the local Dex (``KINERJA_OIDC_PORT``) and the web's client id (``KINERJA_OIDC_CLIENT_ID``).
DEFAULT_PORT = 5556
DEFAULT_CLIENT_ID = "kinerja-web"
#: ``.test`` is reserved (RFC 2606): no demo address can reach a real mailbox.
DOMAIN = "kinerja.test"
#: The unit whose staff member and head get a login.
UNIT = "dinkes"
#: Dex refuses hashes cheaper than bcrypt's default cost (10); more only slows down every sign-in.
BCRYPT_COST = 10
# Deterministic user ids: the same login keeps its Dex ``sub`` from one ``stack.sh up`` to the next.
_USER_IDS = uuid.UUID("5f0b8a4e-3c1d-4d7e-9a55-6b2f0c9e1d20")


@dataclass(frozen=True)
class _Account:
    mailbox: str
    password: str
    title: str  # the name of a login that is no one in the demo plan


_ACCOUNTS = {
    Role.EMPLOYEE: _Account("pegawai", "pegawai-demo", ""),
    Role.SUPERVISOR: _Account("atasan", "atasan-demo", ""),
    Role.HR_ADMIN: _Account("bkpsdm", "bkpsdm-demo", "BKPSDM"),
    Role.REGION_ADMIN: _Account("admin", "admin-demo", "Admin"),
}


@dataclass(frozen=True)
class Login:
    """One demo account: who signs in with what, and the claims Dex gives them."""

    region: str
    role: Role
    email: str
    password: str
    #: The employee's NIP in the demo plan; None for HR and region administrators.
    nip: str | None
    name: str

    @property
    def username(self) -> str:
        """The ``preferred_username`` claim: the NIP, else the e-mail's local part."""
        return self.nip or self.email.partition("@")[0]

    @property
    def groups(self) -> tuple[str, ...]:
        """The ``groups`` claim: the role and the region."""
        return (f"role:{self.role.value}", f"region:{self.region}")

    @property
    def user_id(self) -> str:
        """Dex's ``userID``, stable across restarts of the provider."""
        return str(uuid.uuid5(_USER_IDS, self.email))


def _unit_people(region: str) -> tuple[Person, Person]:
    """The head of :data:`UNIT` and its first staff member in the region's demo plan."""
    plan = plan_region(region, REGIONS.index(region))
    unit = [p for p in plan.people if p.unit_id == UNIT]
    head = next(p for p in unit if p.supervisor not in {q.nip for q in unit})
    staff = next(p for p in unit if p.supervisor == head.nip)
    return head, staff


def _login(region: str, role: Role, person: Person | None) -> Login:
    account = _ACCOUNTS[role]
    return Login(
        region=region,
        role=role,
        email=f"{account.mailbox}@{region}.{DOMAIN}",
        password=account.password,
        nip=person.nip if person else None,
        name=person.name if person else f"{account.title} {region.title()}",
    )


@cache
def logins() -> tuple[Login, ...]:
    """Every demo login, by region (in :data:`tools.demo.REGIONS` order), then by role."""
    found: list[Login] = []
    for region in REGIONS:
        head, staff = _unit_people(region)
        found += [
            _login(region, Role.EMPLOYEE, staff),
            _login(region, Role.SUPERVISOR, head),
            _login(region, Role.HR_ADMIN, None),
            _login(region, Role.REGION_ADMIN, None),
        ]
    return tuple(found)


def login(region: str, role: Role | str) -> Login:
    """The demo login of ``role`` in ``region``; KeyError when there is none."""
    for candidate in logins():
        if candidate.region == region and candidate.role == role:
            return candidate
    raise KeyError(f"no demo login for {role} in {region}")


# ---------------------------------------------------------------- Dex
def issuer(port: int = DEFAULT_PORT) -> str:
    """The issuer URL of the local Dex; its discovery document is at ``/.well-known/openid-configuration``."""
    return f"http://127.0.0.1:{port}/dex"


def _hash(password: str) -> str:
    import bcrypt  # a dev dependency: only the local stack writes Dex's configuration

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_COST)).decode()


def _static_password(entry: Login, hashes: dict[str, str]) -> dict[str, Any]:
    return {
        "email": entry.email,
        "hash": hashes[entry.password],
        "username": entry.username,
        "name": entry.name,
        "preferredUsername": entry.username,
        "emailVerified": True,
        "groups": list(entry.groups),
        "userID": entry.user_id,
    }


def dex_config(
    port: int = DEFAULT_PORT, client_id: str = DEFAULT_CLIENT_ID, entries: Iterable[Login] | None = None
) -> dict[str, Any]:
    """Dex's configuration for the local stack (Dex reads it as YAML, of which JSON is a part).

    In memory: nothing outlives the process, and a restart forgets codes and sessions. The one
    client is public with no redirect URIs, which Dex reads as "any http redirect to a loopback
    address" (server/oauth2.go, validateRedirectURI): the web and its tests run on any free port
    and sign in with PKCE (S256), without a client secret.
    """
    chosen = list(logins() if entries is None else entries)
    hashes = {password: _hash(password) for password in {e.password for e in chosen}}
    return {
        "issuer": issuer(port),
        "storage": {"type": "memory"},
        "web": {"http": f"127.0.0.1:{port}"},
        "frontend": {"issuer": "Kinerja (lokal)"},
        "logger": {"level": "info", "format": "text"},
        "signer": {"type": "local", "config": {"keysRotationPeriod": "6h"}},
        "oauth2": {
            "skipApprovalScreen": True,
            "passwordConnector": "local",
            "responseTypes": ["code"],
        },
        "enablePasswordDB": True,
        "staticClients": [{"id": client_id, "name": "Kinerja web", "public": True}],
        "staticPasswords": [_static_password(e, hashes) for e in chosen],
    }


# ---------------------------------------------------------------- the table
_COLUMNS = ("region", "role", "email", "password", "NIP", "name")


def _rows() -> list[tuple[str, ...]]:
    return [(e.region, e.role.value, e.email, e.password, e.nip or "-", e.name) for e in logins()]


def markdown_table() -> str:
    """The logins as a Markdown table (docs/web.md, "Local sign-in"); what one types is in code font."""
    typed = {_COLUMNS.index(name) for name in ("email", "password", "NIP")}
    lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    for row in _rows():
        cells = [f"`{c}`" if i in typed and c != "-" else c for i, c in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def print_table(file: Any = None) -> None:
    """Print the logins as aligned columns (to stdout unless ``file`` is given)."""
    rows = [_COLUMNS, *_rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=file)


# ---------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.logins", description="The demo logins of the local Dex."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    dex = commands.add_parser("dex-config", help="write the configuration of the local Dex")
    dex.add_argument("out", type=Path)
    dex.add_argument("--port", type=int, default=DEFAULT_PORT)
    dex.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    table = commands.add_parser("table", help="print the demo logins")
    table.add_argument("--markdown", action="store_true", help="as the Markdown table of docs/web.md")
    args = parser.parse_args(argv)

    if args.command == "dex-config":
        config = dex_config(args.port, args.client_id)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_name(args.out.name + ".tmp")
        tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(args.out)
    elif args.markdown:
        sys.stdout.write(markdown_table())
    else:
        print_table()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Who may see and do what in the notify service.

- an inbox ``<NIP>`` is its owner's alone, and only with a token of the owner's region (each
  region signs its own tokens); ``hr:<region>`` is the HR desk of that region;
- subscriptions and deliveries are a region admin's, of their own region, and the system's, of
  every region.

Pure rules over the caller and what the service read for them (the region of an inbox's owner).
"""

from __future__ import annotations

from shared.auth import Principal, Role
from shared.errors import Forbidden

HR_PREFIX = "hr:"


def owns_by_token(principal: Principal, owner: str) -> bool:
    """Whether the token names the owner of inbox ``owner``: their NIP, or HR of the desk's region.
    For a person's inbox :func:`check_inbox_owner` also asks that the region be theirs."""
    if owner.startswith(HR_PREFIX):
        return principal.role is Role.HR_ADMIN and principal.region == owner.removeprefix(HR_PREFIX)
    return principal.nip is not None and principal.nip == owner


def check_inbox_owner(principal: Principal, owner: str, owner_region: str | None) -> None:
    """Allow only the owner of inbox ``owner``; see the module docstring. ``owner_region`` is the
    region of the person whose inbox it is, as notify knows them (unused for an HR desk).

    A NIP is not enough: a token of another region that carries the NIP is refused, since each
    region signs its own tokens and one region's must not open another's inboxes."""
    if not owns_by_token(principal, owner):
        raise Forbidden("only its owner may read this inbox", slug="not-your-inbox")
    if not owner.startswith(HR_PREFIX) and (owner_region is None or owner_region != principal.region):
        raise Forbidden(
            "this inbox belongs to another region, or to nobody notify knows", slug="other-region"
        )


def admin_region(principal: Principal, region: str | None) -> str | None:
    """The region an admin request is about: a region admin's own; None means every region (system)."""
    if principal.role is Role.SYSTEM:
        return region
    if region is not None and region != principal.region:
        raise Forbidden("this region's data is not yours to see", slug="other-region")
    return principal.region

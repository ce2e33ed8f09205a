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


def check_inbox_token(principal: Principal, owner: str) -> None:
    """Allow only a token that names the owner of inbox ``owner``: their NIP, or HR of the desk's
    region (see the module docstring). A person's inbox is also checked by region
    (:func:`check_inbox_region`), once the service read the owner's."""
    if owner.startswith(HR_PREFIX):
        allowed = principal.role is Role.HR_ADMIN and principal.region == owner.removeprefix(HR_PREFIX)
    else:
        allowed = principal.nip is not None and principal.nip == owner
    if not allowed:
        raise Forbidden("only its owner may read this inbox", slug="not-your-inbox")


def is_desk(owner: str) -> bool:
    """Whether inbox ``owner`` is a region's HR desk rather than a person's."""
    return owner.startswith(HR_PREFIX)


def check_inbox_region(principal: Principal, owner_region: str | None) -> None:
    """Allow a person's inbox only with a token of the region notify knows them in.

    A NIP is not enough: a token of another region that carries the NIP is refused, since each
    region signs its own tokens and one region's must not open another's inboxes."""
    if owner_region is None or owner_region != principal.region:
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

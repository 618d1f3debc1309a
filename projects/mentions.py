"""@mentions in comments: what a handle is, and which members of an organisation a comment's handles name.

A member's handle is the part of their e-mail address before the @, lower-cased: alice@acme.test is @alice.
When two members of the same organisation share that part (alice@acme.test and alice@partner.test), it names
neither of them, and each is mentioned by their whole address instead: @alice@partner.test. A whole address
always works. Handles are matched without regard to case, and only among the members of the comment's own
organisation, so a handle can never reach anyone outside it.

In text, a mention is an @ that does not follow a letter, digit or dot (so an e-mail address such as
bob@acme.test is not one), then letters, digits and . _ + - that end on a letter or digit (so the full stop
closing a sentence is not part of the handle). projects.markdown finds them in a comment's text outside code
and links, and renders those of members as links.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Lower
from django.urls import reverse

from projects.models import Membership, Organisation, User

_WORD = r"[a-z0-9](?:[a-z0-9._+-]*[a-z0-9])?"
_DOMAIN = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+"
MENTION = re.compile(rf"(?<![\w@.+-])@({_WORD}(?:@{_DOMAIN})?)", re.IGNORECASE)
# How many mentions of one comment are looked up and told; the rest stay plain text.
MAX_MENTIONS = 50
SUGGESTIONS = 8


@dataclass(frozen=True)
class Mentioned:
    """A member a handle names, and where a mention of them links to (their activity in the organisation)."""

    user: User
    handle: str
    url: str


def _local_part(email: str) -> str:
    return email.split("@", 1)[0].lower()


def _email_local_part() -> Func:
    return Func(
        Lower(F("user__email")), Value("@"), Value(1), function="split_part", output_field=TextField()
    )


def person_url(organisation: Organisation, user_id: int) -> str:
    """Where a mention links to: what the person did in the organisation, a page every member may read."""
    return f"{reverse('organisation_activity', args=[organisation.slug])}?user={user_id}"


def resolve(organisation: Organisation, handles: Iterable[str]) -> dict[str, Mentioned]:
    """The members of the organisation the handles name, by handle (lower case), in one query. A local part
    that two members share names no one; a handle that names no member is left out."""
    wanted = sorted({handle.lower() for handle in handles})[:MAX_MENTIONS]
    if not wanted:
        return {}
    addresses = [handle for handle in wanted if "@" in handle]
    locals_ = [handle for handle in wanted if "@" not in handle]
    members = (
        Membership.objects.filter(organisation=organisation)
        .annotate(local=_email_local_part(), address=Lower(F("user__email")))
        .filter(Q(address__in=addresses) | Q(local__in=locals_))
        .select_related("user")
        .order_by("user__email")
    )
    found: dict[str, Mentioned] = {}
    shared: set[str] = set()
    for member in members:
        user = member.user
        address, local = user.email.lower(), _local_part(user.email)
        if address in addresses:
            found[address] = Mentioned(user, address, person_url(organisation, user.pk))
        if local in locals_:
            if local in found and found[local].user.pk != user.pk:
                shared.add(local)
            else:
                found[local] = Mentioned(user, local, person_url(organisation, user.pk))
    for local in shared:
        del found[local]
    return found


def handles_of(organisation: Organisation, users: Iterable[User]) -> dict[int, str]:
    """Each user's handle in the organisation: the local part of their address, or the whole address when
    another member shares that local part. One query."""
    users = list(users)
    locals_ = {_local_part(user.email) for user in users}
    taken: dict[str, int] = {}
    for local in (
        Membership.objects.filter(organisation=organisation)
        .annotate(local=_email_local_part())
        .filter(local__in=locals_)
        .values_list("local", flat=True)
    ):
        taken[local] = taken.get(local, 0) + 1
    return {
        user.pk: _local_part(user.email) if taken.get(_local_part(user.email), 0) <= 1 else user.email.lower()
        for user in users
    }


def suggestions(organisation: Organisation, prefix: str) -> list[tuple[User, str]]:
    """Members whose address or name starts with the prefix (or whose name has a word that does), with their
    handles, for the @ autocomplete of the comment box: at most SUGGESTIONS, in one query plus one for handles."""
    prefix = prefix.strip().lstrip("@").lower()[:100]
    members: QuerySet[User] = User.objects.filter(memberships__organisation=organisation)
    if prefix:
        members = members.filter(
            Q(email__istartswith=prefix) | Q(name__istartswith=prefix) | Q(name__icontains=f" {prefix}")
        )
    users = list(members.order_by("name", "email")[:SUGGESTIONS])
    handles = handles_of(organisation, users)
    return [(user, handles[user.pk]) for user in users]

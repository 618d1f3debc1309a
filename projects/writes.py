"""How every service writes, in the workspace (projects.workspace_services) and the register (risks.services):

- `change(membership)`: one transaction, inside a pghistory context naming the member, so the triggers' history
  says who; once it commits, the layers above hear that the organisation changed
  (projects.signals.workspace_changed; risks listens and recomputes its stored results);
- `validate(instance)`: every field and constraint of the row as field-level errors, NUL bytes and text lengths
  included, which Django's model validation does not check;
- `save_version` / `delete_version`: write or delete only if the row is still at the version the person read,
  else EditConflict.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pghistory
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from projects.models import Membership, User
from projects.signals import workspace_changed


class EditConflict(Exception):
    """Someone saved the object after the version this write was based on. `current` is their version."""

    def __init__(self, current: models.Model | None) -> None:
        self.current = current
        super().__init__(
            "This was changed by someone else since you opened it." if current else "It was deleted."
        )


@contextmanager
def change(membership: Membership, **context: str) -> Iterator[None]:
    """One transaction, with the history context naming who made the change (and `context`, what the history's
    readers should know of it beyond the rows: `review="approved"` for a review's decision); once it commits, the
    layers above hear that the organisation changed (projects.signals.workspace_changed)."""
    organisation_id = membership.organisation_id
    with (
        transaction.atomic(),
        pghistory.context(user=membership.user_id, organisation=organisation_id, **context),
    ):
        # robust: the change is saved whatever a listener does; a listener's failure is logged, not raised.
        transaction.on_commit(
            lambda: workspace_changed.send(sender=Membership, organisation_id=organisation_id), robust=True
        )
        yield


def _nul_byte_errors(instance: models.Model) -> dict[str, str]:
    errors = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            errors[field.name] = "Remove the NUL character from this text."
    return errors


def _long_text_errors(instance: models.Model) -> dict[str, str]:
    """Django checks max_length of text fields only in forms; a write through a service is held to it too."""
    return {
        field.name: f"Keep this to {field.max_length:,} characters or fewer (it has {len(value):,})."
        for field in instance._meta.concrete_fields
        if isinstance(field, models.TextField)
        and field.max_length
        and isinstance(value := getattr(instance, field.attname), str)
        and len(value) > field.max_length
    }


def validate(instance: models.Model, exclude: Iterable[str] = ()) -> None:
    """Every field and constraint of the row, as field-level errors; database constraints stay the backstop.

    A model constraint names the field its error belongs to in `violation_error_code` (see models.py).
    """
    errors: dict[str, list[ValidationError]] = {
        name: [ValidationError(message)]
        for name, message in (_long_text_errors(instance) | _nul_byte_errors(instance)).items()
    }
    try:
        instance.full_clean(exclude=[*exclude, *errors])
    except ValidationError as error:
        field_names = {field.name for field in instance._meta.fields}
        for name, messages in error.error_dict.items():
            for message in messages:
                target = message.code if name == NON_FIELD_ERRORS and message.code in field_names else name
                errors.setdefault(str(target), []).append(message)
    if errors:
        raise ValidationError(errors)


def save_version(instance: Any, version: int, fields: Sequence[str]) -> None:
    """Write the named fields only if the row is still at `version`; bump it. Raises EditConflict otherwise.

    Fields are named as the model names them; a foreign key is written through its column (`zone_id`)."""
    model = type(instance)
    columns = [model._meta.get_field(name).attname for name in fields]
    values = {column: getattr(instance, column) for column in columns}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    written = model._default_manager.filter(pk=instance.pk, version=version).update(
        **values, version=F("version") + 1
    )
    if not written:
        raise EditConflict(model._default_manager.filter(pk=instance.pk).first())
    instance.version = version + 1


def delete_version(instance: Any, version: int) -> None:
    """Delete the row only if it is still at `version`. Raises EditConflict otherwise."""
    model = type(instance)
    deleted, _ = model._default_manager.filter(pk=instance.pk, version=version).delete()
    if not deleted:
        raise EditConflict(model._default_manager.filter(pk=instance.pk).first())


def check_member(organisation_id: int, user: User | None, field: str = "owner") -> None:
    """An owner (of a threat, control or business risk) is a member of the organisation, or nobody."""
    if user is not None and not Membership.objects.filter(user=user, organisation=organisation_id).exists():
        raise ValidationError({field: "Choose a member of this organisation."})

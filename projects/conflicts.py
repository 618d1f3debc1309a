"""What a form shows when its save lost a race: who changed the object, what they changed, and the user's own
values kept in the form, ready to apply over theirs with one more save. For each field both people changed, the
notice offers a choice, keep theirs or use mine (projects.merge), which the next save takes."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from projects import merge
from projects.workspace_selectors import Change, history_of
from projects.workspace_services import EditConflict


@dataclass(frozen=True)
class Difference:
    label: str
    theirs: str
    yours: str
    name: str = ""  # the field's name in the form data
    theirs_values: tuple[str, ...] = ()  # their value as the browser posts it, for "keep theirs"

    @property
    def choice_name(self) -> str:
        return merge.choice_name(self.name)

    @property
    def theirs_name(self) -> str:
        return merge.theirs_name(self.name)


@dataclass(frozen=True)
class ConflictNotice:
    deleted: bool
    last_change: Change | None
    differences: list[Difference]


def _shown(value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet):
        value = list(value)
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def rebase_form[F: forms.BaseForm](form: F, error: EditConflict) -> tuple[F, ConflictNotice]:
    """A copy of the bound form based on the current version, and the notice to show above it.

    The user's values stay in the form; saving it again applies them over the other change, knowingly.
    """
    current = error.current
    if current is None:
        return form, ConflictNotice(deleted=True, last_change=None, differences=[])
    data = form.data.copy()  # type: ignore[attr-defined]
    merge.drop_choices(data)  # taken already; this round's notice offers its own
    base = _snapshot(current, data.get(form.add_prefix("version"), ""))
    data[form.add_prefix("version")] = str(current.version)  # type: ignore[attr-defined]
    kept = _keep_their_changes(form, data, current, base)
    rebased = type(form)(data, **_form_kwargs(form))
    rebased.is_valid()
    differences = []
    initial: dict[str, Any] | None = None
    for name, field in form.fields.items():
        if name == "version" or name in kept or name not in form.cleaned_data or not hasattr(current, name):
            continue
        theirs = getattr(current, name)
        if hasattr(theirs, "all") and callable(theirs.all):
            theirs = list(theirs.all())
        yours = (rebased.cleaned_data if name in getattr(rebased, "cleaned_data", {}) else form.cleaned_data)[
            name
        ]
        if _comparable(theirs) != _comparable(yours):
            label = str(field.label or name.replace("_", " ").capitalize())
            initial = _initial(form, current) if initial is None else initial
            differences.append(
                Difference(
                    label,
                    _shown(_display(current, name, theirs)),
                    _shown(_chosen(field, yours)),
                    name=form.add_prefix(name),
                    theirs_values=tuple(merge.posted(field, initial.get(name, theirs))),
                )
            )
    changes = history_of(current, limit=5)
    return rebased, ConflictNotice(
        deleted=False, last_change=changes[0] if changes else None, differences=differences
    )


def _initial(form: forms.BaseForm, current: models.Model) -> dict[str, Any]:
    """The object's values as the form shows them (its `initial_of`), so "keep theirs" posts what they saved."""
    initial_of = getattr(type(form), "initial_of", None)
    return dict(initial_of(current)) if callable(initial_of) else {}


def _form_kwargs(form: forms.BaseForm) -> dict[str, Any]:
    """The extra arguments the form was built with, which it keeps as `conflict_kwargs` (see WorkspaceForm)."""
    return dict(getattr(form, "conflict_kwargs", {}))


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple, set)) or hasattr(value, "model"):
        return sorted(str(getattr(item, "pk", item)) for item in value)
    if value is None:
        return ""
    return value if isinstance(value, bool) else str(value)


def _display(current: models.Model, name: str, value: Any) -> Any:
    getter = getattr(current, f"get_{name}_display", None)
    return getter() if callable(getter) else value


def _chosen(field: forms.Field, value: Any) -> Any:
    """A submitted value as its label, for choice fields."""
    choices = dict(getattr(field, "choices", None) or [])
    if isinstance(value, (list, tuple)):
        return [choices.get(item, item) for item in value]
    return choices.get(value, value) if not isinstance(value, models.Model) else value


def _event_model(model: type[models.Model]) -> Any:
    """The model of the history events the triggers keep of `model`, or None when it keeps none."""
    return next(iter(getattr(model, "pgh_event_models", {}).values()), None)


def _snapshot(current: models.Model, version: str) -> models.Model | None:
    """The row as it was at the version the user's form was based on, from the history the triggers keep."""
    event_model = _event_model(type(current))
    if not str(version).isdigit() or event_model is None:
        return None
    found: models.Model | None = (
        event_model.objects.filter(pgh_obj_id=current.pk, version=int(version)).order_by("-pgh_id").first()
    )
    return found


def _column_value(row: models.Model, name: str) -> Any:
    field = row._meta.get_field(name)
    return getattr(row, field.attname) if isinstance(field, models.Field) and field.concrete else None


def _keep_their_changes(
    form: forms.BaseForm, data: Any, current: models.Model, base: models.Model | None
) -> set[str]:
    """Fields the user left as they found them but the other person changed: the rebased form takes the other
    person's value, so saving again re-applies only what the user changed. Returns those fields' names."""
    kept: set[str] = set()
    if base is None:
        return kept
    for name, field in form.fields.items():
        if name == "version" or name not in form.cleaned_data:
            continue
        try:
            model_field = current._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field, not a field of the model
            continue
        if isinstance(model_field, models.ManyToManyField):  # a reverse relation is left as the user sent it
            _merge_links(form, data, current, base, name)
            continue
        if model_field.many_to_many:
            continue
        before, now = _column_value(base, name), _column_value(current, name)
        if before is None and now is None:
            continue
        if _comparable(form.cleaned_data[name]) == _comparable(before) and _comparable(before) != _comparable(
            now
        ):
            _put(data, form.add_prefix(name), field, now)
            kept.add(name)
    return kept


def _merge_links(
    form: forms.BaseForm, data: Any, current: models.Model, base: models.Model, name: str
) -> None:
    """Links merge item by item: what the user added or removed since the version they read is applied to the
    links as they are now, so the other person's additions and removals survive the second save too."""
    field = current._meta.get_field(name)
    before = _links_before_their_changes(current, base, field)
    if before is None:
        return
    yours = {item.pk for item in form.cleaned_data[name]}
    now = set(getattr(current, name).values_list("pk", flat=True))
    merged = (now | (yours - before)) - (before - yours)
    if merged != yours:
        data.setlist(form.add_prefix(name), [str(pk) for pk in sorted(merged)])


def _links_before_their_changes(current: models.Model, base: models.Model, field: Any) -> set[int] | None:
    """The links as they were at the user's version: today's, with the link events of every later save of the
    object undone, newest first. Saves are told apart by their history context (one per transaction)."""
    link_events, row_events = _event_model(field.remote_field.through), _event_model(type(current))
    if link_events is None or row_events is None:
        return None
    later_saves = row_events.objects.filter(
        pgh_obj_id=current.pk, version__gt=getattr(base, "version", 0), pgh_context_id__isnull=False
    ).values("pgh_context_id")
    owner, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    links = set(getattr(current, field.name).values_list("pk", flat=True))
    for label, target_id in (
        link_events.objects.filter(**{owner: current.pk}, pgh_context_id__in=later_saves)
        .order_by("-pgh_id")
        .values_list("pgh_label", target)
    ):
        if label == "linked":
            links.discard(target_id)
        else:
            links.add(target_id)
    return links


def _put(data: Any, key: str, field: forms.Field, value: Any) -> None:
    if isinstance(field, forms.BooleanField):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
    elif isinstance(value, (list, tuple)):
        data.setlist(key, [str(item) for item in value])
    elif value is None:
        data[key] = ""
    elif hasattr(value, "isoformat"):
        data[key] = value.isoformat()
    else:
        data[key] = str(value)

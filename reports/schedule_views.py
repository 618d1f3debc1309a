"""The monthly report page, /o/<org_slug>/reports/schedule/: every member reads whether the executive summary
goes out each month and to whom; owners and security leads turn it on or off and choose its paper and recipients.
Writes go through reports.schedule_services only."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from projects.access import member_required
from projects.http import AuthenticatedHttpRequest, posted
from projects.model_forms import apply_service_errors
from projects.models import Membership, User
from projects.roles import Permission
from projects.workspace_selectors import people_of
from reports.models import PaperSize, ReportKind, ReportSchedule
from reports.schedule_services import report_schedule_save

EDIT = Permission.EDIT_RISK_REGISTER  # owners and security leads; see reports.schedule_services


class RecipientsField(forms.ModelMultipleChoiceField):
    """Members of the organisation, as checkboxes; any other user id is an invalid choice."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name} ({obj.email})" if obj.name else obj.email


class ReportScheduleForm(forms.Form):
    active = forms.BooleanField(
        label="Send the executive summary every month",
        required=False,
        help_text="Untick to pause it; the recipients are kept for when you turn it on again.",
    )
    paper = forms.ChoiceField(label="Paper", choices=PaperSize.choices)
    recipients = RecipientsField(
        label="Send the link to",
        queryset=User.objects.none(),
        required=False,
        help_text="Members of the organisation only; at least one while it is on.",
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = people  # type: ignore[attr-defined]


def _schedule_of(membership: Membership) -> ReportSchedule | None:
    return ReportSchedule.objects.filter(
        organisation=membership.organisation_id, kind=ReportKind.EXECUTIVE_SUMMARY
    ).first()


@require_http_methods(["GET", "POST"])
@member_required(Permission.DOWNLOAD_REPORTS)
def report_schedule(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST" and not membership.can(EDIT):
        raise PermissionDenied(
            f"Your role ({membership.get_role_display()}) cannot change the monthly report."
        )
    schedule = _schedule_of(membership)
    people = people_of(membership)
    recipient_ids = list(schedule.recipients.values_list("pk", flat=True)) if schedule else []
    initial = {"active": schedule.active, "paper": schedule.paper} if schedule else {}
    form = ReportScheduleForm(posted(request), people=people, initial=initial | {"recipients": recipient_ids})
    if request.method == "POST" and form.is_valid():
        try:
            report_schedule_save(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Monthly report saved.")
            return redirect("report_schedule", org_slug=membership.organisation.slug)
    context = {
        "membership": membership,
        "schedule": schedule,
        "form": form,
        "can_edit": membership.can(EDIT),
        "recipients": people.filter(pk__in=recipient_ids),  # who still gets it: members only
    }
    return render(request, "reports/schedule.html", context, status=400 if form.errors else 200)

"""The monthly executive summary: its page (who turns it on, for whom, and what they are told), and beat's side
(one report a month per schedule, however often beat runs; its link e-mailed to recipients still members)."""

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from projects.models import Membership, User
from reports.models import PaperSize, Report, ReportKind, ReportSchedule, ReportStatus
from reports.schedule_services import report_schedule_save
from reports.services import scheduled_reports_request
from tests.conftest import Cast, signed_in
from tests.factories import MembershipFactory, UserFactory
from tests.queries import count_queries


def _page(cast: Cast) -> str:
    return reverse("report_schedule", args=[cast.organisation.slug])


def _schedule(cast: Cast, *recipients: User, active: bool = True, **fields: Any) -> ReportSchedule:
    schedule = ReportSchedule.objects.create(organisation=cast.organisation, active=active, **fields)
    schedule.recipients.set(recipients)
    return schedule


def _recipients(schedule: ReportSchedule) -> set[User]:
    return set(schedule.recipients.all())


# The page -------------------------------------------------------------------------------------------------


def test_an_owner_turns_on_the_monthly_summary_for_chosen_members(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(
        _page(cast), {"active": "on", "paper": "letter", "recipients": [cast.viewer.pk, cast.owner.pk]}
    )

    assert response.status_code == 302
    assert response["Location"] == _page(cast)
    schedule = ReportSchedule.objects.get(organisation=cast.organisation)
    assert (schedule.kind, schedule.active, schedule.paper) == (ReportKind.EXECUTIVE_SUMMARY, True, "letter")
    assert _recipients(schedule) == {cast.viewer, cast.owner}
    assert schedule.created_by == cast.owner
    page = owner_client.get(_page(cast)).content.decode()
    assert "On: 2 members get the link each month, on US Letter." in page
    assert f'value="{cast.viewer.pk}" id="id_recipients_' in page


def test_a_security_lead_changes_the_recipients_and_pauses_it(cast: Cast) -> None:
    schedule = _schedule(cast, cast.viewer, cast.owner, created_by=cast.owner)

    response = signed_in(cast.security_lead).post(
        _page(cast), {"paper": "a4", "recipients": [cast.engineer.pk]}
    )

    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.active, schedule.paper, schedule.created_by) == (False, "a4", cast.owner)
    assert _recipients(schedule) == {cast.engineer}
    assert ReportSchedule.objects.count() == 1
    page = signed_in(cast.security_lead).get(_page(cast)).content.decode()
    assert "Paused: no e-mail goes out until it is turned on again." in page


def test_another_organisations_user_is_a_field_error(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(
        _page(cast), {"active": "on", "paper": "a4", "recipients": [cast.viewer.pk, cast.outsider.pk]}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["recipients"]
    assert f"{cast.outsider.pk} is not one of the available choices" in errors["recipients"][0]
    assert not ReportSchedule.objects.exists()


def test_turning_it_on_needs_someone_to_send_it_to(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(_page(cast), {"active": "on", "paper": "a4"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"recipients": ["Choose at least one member to send it to."]}
    assert not ReportSchedule.objects.exists()


def test_an_unknown_paper_is_refused(cast: Cast, owner_client: Client) -> None:
    response = owner_client.post(_page(cast), {"active": "on", "paper": "a3", "recipients": [cast.owner.pk]})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["paper"]
    assert not ReportSchedule.objects.exists()


def test_the_page_says_what_is_sent_and_when(cast: Cast, owner_client: Client) -> None:
    page = owner_client.get(_page(cast)).content.decode()

    assert "Not set up: no e-mail goes out." in page
    assert "A link, not the file." in page
    assert "In the first hour of each month." in page
    assert 'id="schedule-form"' in page


def test_the_reports_page_links_to_it(cast: Cast, viewer_client: Client) -> None:
    page = viewer_client.get(reverse("report_list", args=[cast.organisation.slug])).content.decode()

    assert f'href="{_page(cast)}"' in page


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_other_members_read_it_but_cannot_change_it(role: str, cast: Cast) -> None:
    schedule = _schedule(cast, cast.viewer)
    client = signed_in(getattr(cast, role))

    page = client.get(_page(cast))
    refused = client.post(_page(cast), {"active": "", "paper": "a4", "recipients": [cast.engineer.pk]})

    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="schedule-form"' not in text
    assert "The link goes to:" in text
    assert cast.viewer.display_name in text
    assert refused.status_code == 403
    schedule.refresh_from_db()
    assert schedule.active
    assert _recipients(schedule) == {cast.viewer}


def test_the_outsider_finds_no_schedule(cast: Cast, outsider_client: Client) -> None:
    _schedule(cast, cast.viewer)

    assert outsider_client.get(_page(cast)).status_code == 404
    response = outsider_client.post(
        _page(cast), {"active": "on", "paper": "a4", "recipients": [cast.outsider.pk]}
    )
    assert response.status_code == 404
    assert _recipients(ReportSchedule.objects.get()) == {cast.viewer}


def test_the_page_rejects_other_methods(cast: Cast, owner_client: Client) -> None:
    assert owner_client.put(_page(cast)).status_code == 405
    assert owner_client.delete(_page(cast)).status_code == 405


def test_the_page_costs_the_same_queries_for_few_members_and_many(cast: Cast) -> None:
    _schedule(cast, cast.viewer)
    owner, viewer = signed_in(cast.owner), signed_in(cast.viewer)
    (
        owner.get(_page(cast)),
        viewer.get(_page(cast)),
    )  # the first visit remembers the organisation in the session
    few_owner = count_queries(lambda: owner.get(_page(cast)))
    few_viewer = count_queries(lambda: viewer.get(_page(cast)))

    schedule = ReportSchedule.objects.get()
    for _ in range(25):
        schedule.recipients.add(MembershipFactory.create(organisation=cast.organisation).user)

    assert count_queries(lambda: owner.get(_page(cast))) == few_owner
    assert count_queries(lambda: viewer.get(_page(cast))) == few_viewer


# The service ----------------------------------------------------------------------------------------------


def test_the_service_refuses_an_engineer(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        report_schedule_save(
            membership=cast.membership(cast.engineer),
            active=True,
            paper=PaperSize.A4,
            recipients=[cast.owner],
        )

    assert not ReportSchedule.objects.exists()


def test_the_service_refuses_a_user_who_is_not_a_member(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        report_schedule_save(
            membership=cast.membership(cast.owner),
            active=True,
            paper=PaperSize.A4,
            recipients=[cast.outsider],
        )

    assert refused.value.message_dict == {"recipients": ["Choose members of the organisation only."]}
    assert not ReportSchedule.objects.exists()


# Beat -----------------------------------------------------------------------------------------------------

NOV_1 = datetime.date(2026, 11, 1)


def test_the_beat_asks_once_a_month_even_when_run_twice(cast: Cast) -> None:
    schedule = _schedule(cast, cast.viewer, paper=PaperSize.LETTER)

    assert scheduled_reports_request(NOV_1) == 1
    assert scheduled_reports_request(NOV_1) == 0
    assert scheduled_reports_request(datetime.date(2026, 11, 30)) == 0

    report = Report.objects.get()
    assert (report.kind, report.paper, report.schedule, report.requested_by) == (
        ReportKind.EXECUTIVE_SUMMARY,
        "letter",
        schedule,
        None,
    )
    assert scheduled_reports_request(datetime.date(2026, 12, 1)) == 1
    assert Report.objects.count() == 2


def test_a_paused_schedule_asks_nothing(cast: Cast) -> None:
    _schedule(cast, cast.viewer, active=False)

    assert scheduled_reports_request(NOV_1) == 0
    assert not Report.objects.exists()


def test_pausing_and_resuming_in_the_same_month_sends_no_second(cast: Cast, owner_client: Client) -> None:
    _schedule(cast, cast.viewer)
    scheduled_reports_request(NOV_1)
    owner_client.post(_page(cast), {"paper": "a4", "recipients": [cast.viewer.pk]})
    owner_client.post(_page(cast), {"active": "on", "paper": "a4", "recipients": [cast.viewer.pk]})

    assert scheduled_reports_request(datetime.date(2026, 11, 2)) == 0
    assert Report.objects.count() == 1


def test_the_finished_report_emails_its_page_to_recipients_still_members(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    leaver = UserFactory.create(email="leaver@acme.test")
    MembershipFactory.create(user=leaver, organisation=cast.organisation)
    _schedule(cast, cast.viewer, cast.security_lead, leaver, cast.outsider)
    Membership.objects.filter(user=leaver).delete()

    with django_capture_on_commit_callbacks(execute=True):  # the worker's tasks run in-process in tests
        scheduled_reports_request(NOV_1)

    report = Report.objects.get()
    assert report.status == ReportStatus.DONE
    assert sorted(message.to[0] for message in mail.outbox) == ["lead@acme.test", "viewer@acme.test"]
    page = settings.SITE_URL + reverse("report_detail", args=[cast.organisation.slug, report.pk])
    for message in mail.outbox:
        body = str(message.body)
        assert page in body
        assert reverse("report_download", args=[cast.organisation.slug, report.pk]) not in body
        assert str(report.file.name) not in body
        assert not message.attachments
        assert message.subject.startswith("Executive summary of Acme Payments")

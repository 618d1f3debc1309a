"""Notifications: who is told what (notify's fan-out, the product's own events), how they are e-mailed (at once,
in a daily digest or not at all, as each member chose), and the daily reminders of overdue controls and of risk
acceptances running out.

E-mails go through Django's locmem backend: tests that look at them run the callbacks of their transaction's
commit (django_capture_on_commit_callbacks), which enqueue the e-mail task, run in-process here; the real
worker is tests/test_notification_worker.py's."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from projects import notification_mail, notification_reminders, notifications, services, workspace_services
from projects.models import ControlStatus, Membership, Project, ProjectStatus, User
from projects.notification_models import EmailMode, Notification, NotificationKind, NotificationPreference
from risks import services as risk_services
from risks.models import AcceptanceStatus, BusinessRisk, RiskAcceptance
from tests.conftest import Cast
from tests.factories import ControlFactory, MembershipFactory, ProjectFactory, TeamFactory, ThreatFactory
from tests.queries import count_queries
from tests.risk_register import add_risk

DAY = datetime.timedelta(days=1)
SITE = "http://127.0.0.1:8000"

type Capture = Callable[..., Any]


def tell(
    cast: Cast, *recipients: User, actor: User | None = None, kind: str = NotificationKind.MENTION
) -> None:
    notifications.notify(
        organisation=cast.organisation,
        recipients=recipients,
        kind=kind,
        actor=actor,
        subject="Ann mentioned you on T-3",
        url="/o/acme/my-work/",
    )


def prefer(cast: Cast, user: User, email: str, muted: list[str] | None = None) -> None:
    notifications.preference_update(membership=cast.membership(user), email=email, muted_kinds=muted or [])


def html_of_mail(message: mail.EmailMessage) -> str:
    """The HTML part of an e-mail that has a plain text body and an HTML alternative."""
    assert isinstance(message, mail.EmailMultiAlternatives)
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    return str(html)


def told(user: User) -> list[tuple[str, str, str]]:
    return list(
        Notification.objects.filter(recipient=user)
        .order_by("pk")
        .values_list("organisation__slug", "kind", "subject")
    )


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE


@pytest.fixture
def checkout(cast: Cast) -> Project:
    return ProjectFactory.create(team=cast.team, name="Checkout")


# Fan-out --------------------------------------------------------------------------------------------------


def test_each_recipient_gets_one_notification_and_the_actor_none(cast: Cast) -> None:
    tell(cast, cast.viewer, cast.engineer, cast.viewer, cast.owner, actor=cast.owner)

    assert told(cast.viewer) == [("acme", "mention", "Ann mentioned you on T-3")]
    assert told(cast.engineer) == [("acme", "mention", "Ann mentioned you on T-3")]
    assert told(cast.owner) == []


def test_nobody_outside_the_organisation_is_told(cast: Cast) -> None:
    tell(cast, cast.outsider, cast.viewer, actor=cast.owner)

    assert told(cast.outsider) == []
    assert Notification.objects.filter(organisation=cast.outsider_organisation).count() == 0
    assert told(cast.viewer) == [("acme", "mention", "Ann mentioned you on T-3")]


def test_a_member_of_both_organisations_is_told_in_the_one_it_happened_in(cast: Cast) -> None:
    MembershipFactory.create(user=cast.outsider, organisation=cast.organisation, role="viewer")
    tell(cast, cast.outsider)

    assert told(cast.outsider) == [("acme", "mention", "Ann mentioned you on T-3")]


def test_the_target_is_kept_as_a_loose_reference(cast: Cast, checkout: Project) -> None:
    threat = ThreatFactory.create(project=checkout)
    notifications.notify(
        organisation=cast.organisation,
        recipients=[cast.viewer],
        kind=NotificationKind.ASSIGNMENT,
        actor=None,
        subject="  You own\n T-1 now ",
        url="/o/acme/",
        target=threat,
    )
    row = Notification.objects.get()
    assert (row.target_type, row.target_id, row.subject, row.actor) == (
        "projects.threat",
        threat.pk,
        "You own T-1 now",
        None,
    )
    threat.delete()
    assert Notification.objects.filter(pk=row.pk).exists()


def test_a_long_subject_is_cut_with_an_ellipsis(cast: Cast) -> None:
    notifications.notify(
        organisation=cast.organisation,
        recipients=[cast.viewer],
        kind="mention",
        actor=None,
        subject="x" * 400,
        url="/",
    )
    subject = Notification.objects.get().subject
    assert (len(subject), subject[-1]) == (300, "…")


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("shout", "/o/acme/"),
        ("mention", "https://evil.test/"),
        ("mention", "//evil.test/"),
        ("mention", "/\\evil.test/"),
        ("mention", "/a\nb"),
        ("mention", ""),
    ],
)
def test_a_callers_mistake_is_refused_and_writes_nothing(cast: Cast, kind: str, url: str) -> None:
    with pytest.raises(ValueError):
        notifications.notify(
            organisation=cast.organisation,
            recipients=[cast.viewer],
            kind=kind,
            actor=None,
            subject="x",
            url=url,
        )
    assert not Notification.objects.exists()


def test_nobody_to_tell_costs_no_query(cast: Cast) -> None:
    assert count_queries(lambda: tell(cast, cast.owner, actor=cast.owner)) == 0


def test_telling_many_costs_as_much_as_telling_one(cast: Cast) -> None:
    one = count_queries(lambda: tell(cast, cast.viewer))
    everyone = [
        MembershipFactory.create(organisation=cast.organisation, role="viewer").user for _ in range(20)
    ]
    assert count_queries(lambda: tell(cast, *everyone)) == one == 2
    assert Notification.objects.count() == 21


def test_the_notifications_go_with_a_change_that_rolls_back(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            tell(cast, cast.viewer)
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()
    assert not Notification.objects.exists()
    assert mail.outbox == []


# E-mail, as each member chose ------------------------------------------------------------------------------


def test_members_who_want_email_at_once_get_it_on_commit_and_the_others_do_not(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    prefer(cast, cast.engineer, EmailMode.DIGEST)
    prefer(cast, cast.security_lead, EmailMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, cast.viewer, cast.engineer, cast.security_lead)
        assert mail.outbox == []  # not before the change is committed

    assert [message.to for message in mail.outbox] == [["viewer@acme.test"]]
    message = mail.outbox[0]
    assert message.subject == "[Acme Payments] Ann mentioned you on T-3"
    assert f"{SITE}/o/acme/my-work/" in message.body
    assert f"{SITE}{reverse('notification_preferences', args=['acme'])}" in message.body
    html = html_of_mail(message)
    assert f'href="{SITE}/o/acme/my-work/"' in html
    assert Notification.objects.get(recipient=cast.viewer).emailed_at is not None
    assert Notification.objects.get(recipient=cast.engineer).emailed_at is None


def test_a_muted_kind_is_listed_but_never_emailed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    prefer(cast, cast.viewer, EmailMode.IMMEDIATE, muted=[NotificationKind.MENTION])
    with django_capture_on_commit_callbacks(execute=True):
        tell(cast, cast.viewer)
        tell(cast, cast.viewer, kind=NotificationKind.ASSIGNMENT)

    assert Notification.objects.filter(recipient=cast.viewer).count() == 2
    assert [m.subject for m in mail.outbox] == ["[Acme Payments] Ann mentioned you on T-3"]
    assert Notification.objects.get(emailed_at__isnull=False).kind == NotificationKind.ASSIGNMENT


def test_each_notification_is_emailed_once_however_often_the_task_runs(cast: Cast) -> None:
    tell(cast, cast.viewer, cast.engineer)
    ids = list(Notification.objects.values_list("pk", flat=True))

    assert notification_mail.notification_emails_send(ids).count == 2
    assert notification_mail.notification_emails_send(ids).count == 0
    assert len(mail.outbox) == 2


def test_a_notification_read_before_its_email_goes_is_not_emailed(cast: Cast) -> None:
    tell(cast, cast.viewer)
    notifications.notifications_mark_read(membership=cast.membership(cast.viewer))

    assert (
        notification_mail.notification_emails_send(
            list(Notification.objects.values_list("pk", flat=True))
        ).count
        == 0
    )
    assert mail.outbox == []


def test_a_queued_email_is_not_sent_to_whoever_left_or_changed_their_mind_since(cast: Cast) -> None:
    """The e-mail task runs after the commit, and a retry up to half an hour later: it asks again."""
    tell(cast, cast.viewer, cast.engineer, cast.security_lead)
    ids = list(Notification.objects.values_list("pk", flat=True))
    services.membership_remove(membership=cast.membership(cast.viewer))
    prefer(cast, cast.engineer, EmailMode.DIGEST)

    assert notification_mail.notification_emails_send(ids).count == 1
    assert [message.to for message in mail.outbox] == [[cast.security_lead.email]]
    # The engineer's is left for their digest; the former member's is never sent.
    assert set(Notification.objects.filter(emailed_at__isnull=True).values_list("recipient", flat=True)) == {
        cast.viewer.pk,
        cast.engineer.pk,
    }
    assert notification_mail.digests_send().count == 1
    assert [message.to for message in mail.outbox[1:]] == [[cast.engineer.email]]


def test_preferences_are_per_organisation_and_refuse_what_is_not_a_choice(cast: Cast) -> None:
    elsewhere = MembershipFactory.create(
        user=cast.viewer, organisation=cast.outsider_organisation, role="viewer"
    )
    prefer(cast, cast.viewer, EmailMode.DIGEST, muted=["mention", "mention"])

    assert notifications.preference_of(cast.membership(cast.viewer)).email == EmailMode.DIGEST
    assert notifications.preference_of(cast.membership(cast.viewer)).muted_kinds == ["mention"]
    assert notifications.preference_of(elsewhere).email == EmailMode.IMMEDIATE
    assert notifications.preference_of(elsewhere).pk is None
    with pytest.raises(Exception) as refused:
        prefer(cast, cast.viewer, "hourly", muted=["gossip"])
    assert set(refused.value.message_dict) == {"email", "muted_kinds"}  # type: ignore[attr-defined]
    assert "gossip is not a kind of notification." in refused.value.message_dict["muted_kinds"]  # type: ignore[attr-defined]
    assert NotificationPreference.objects.get().email == EmailMode.DIGEST


# The daily digest ------------------------------------------------------------------------------------------


def test_the_digest_lists_the_unread_notifications_of_each_digest_member_once(cast: Cast) -> None:
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    prefer(cast, cast.engineer, EmailMode.DIGEST)
    tell(cast, cast.viewer)
    notifications.notify(
        organisation=cast.organisation,
        recipients=[cast.viewer, cast.security_lead],  # the lead wants them at once: no digest
        kind=NotificationKind.ASSIGNMENT,
        actor=cast.owner,
        subject="owner@acme.test made you the owner of T-9 in Checkout",
        url="/o/acme/projects/1/threats/9/",
    )
    tell(cast, cast.engineer)
    notifications.notifications_mark_read(membership=cast.membership(cast.engineer))  # read: nothing to send

    assert notification_mail.digests_send().count == 1
    [digest] = mail.outbox
    assert digest.to == ["viewer@acme.test"]
    assert digest.subject == "[Acme Payments] 2 notifications you have not read"
    assert "Ann mentioned you on T-3" in digest.body
    assert "owner@acme.test made you the owner of T-9 in Checkout" in digest.body
    assert f"{SITE}/o/acme/projects/1/threats/9/" in digest.body
    assert f'href="{SITE}/o/acme/projects/1/threats/9/"' in html_of_mail(digest)
    assert Notification.objects.filter(recipient=cast.viewer, emailed_at__isnull=True).count() == 0

    assert notification_mail.digests_send().count == 0
    assert len(mail.outbox) == 1


def test_the_next_digest_tells_only_what_came_since(cast: Cast) -> None:
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    tell(cast, cast.viewer)
    notification_mail.digests_send()
    tell(cast, cast.viewer, kind=NotificationKind.ASSIGNMENT)

    assert notification_mail.digests_send().count == 1
    assert mail.outbox[1].subject == "[Acme Payments] 1 notification you have not read"


def test_the_digest_leaves_out_muted_kinds_and_what_is_older_than_a_week(cast: Cast) -> None:
    prefer(cast, cast.viewer, EmailMode.DIGEST, muted=[NotificationKind.ASSIGNMENT])
    tell(cast, cast.viewer, kind=NotificationKind.ASSIGNMENT)
    tell(cast, cast.viewer)
    Notification.objects.filter(kind=NotificationKind.MENTION).update(
        created_at=timezone.now() - notification_mail.DIGEST_REACH - DAY
    )

    assert notification_mail.digests_send().count == 0
    tell(cast, cast.viewer)
    assert notification_mail.digests_send().count == 1
    assert mail.outbox[0].subject == "[Acme Payments] 1 notification you have not read"


def test_a_digest_member_of_two_organisations_gets_one_digest_for_each(cast: Cast) -> None:
    elsewhere = MembershipFactory.create(
        user=cast.viewer, organisation=cast.outsider_organisation, role="viewer"
    )
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    notifications.preference_update(membership=elsewhere, email=EmailMode.DIGEST)
    tell(cast, cast.viewer)
    notifications.notify(
        organisation=cast.outsider_organisation,
        recipients=[cast.viewer],
        kind="mention",
        actor=None,
        subject="Globex secret",
        url="/o/globex/",
    )

    assert notification_mail.digests_send().count == 2
    by_subject = {m.subject: m.body for m in mail.outbox}
    acme = by_subject["[Acme Payments] 1 notification you have not read"]
    assert "Globex secret" not in acme
    assert "Globex secret" in by_subject["[Globex Secret Division] 1 notification you have not read"]


def test_a_long_digest_lists_the_first_and_counts_the_rest(cast: Cast) -> None:
    prefer(cast, cast.viewer, EmailMode.DIGEST)
    for _ in range(notification_mail.DIGEST_ROWS + 3):
        tell(cast, cast.viewer)

    assert notification_mail.digests_send().count == 1
    body = mail.outbox[0].body
    assert body.count("Ann mentioned you on T-3") == notification_mail.DIGEST_ROWS
    assert "And 3 more." in body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


# The product's own events ---------------------------------------------------------------------------------


def test_the_new_owner_of_a_threat_is_told_with_a_link_to_it(cast: Cast, checkout: Project) -> None:
    threat = ThreatFactory.create(project=checkout)
    workspace_services.threat_update(
        membership=cast.membership(cast.engineer), threat=threat, version=threat.version, owner=cast.viewer
    )

    row = Notification.objects.get()
    assert (row.recipient, row.actor, row.kind) == (cast.viewer, cast.engineer, NotificationKind.ASSIGNMENT)
    assert row.subject == f"{cast.engineer} made you the owner of T-{threat.number} in Checkout"
    assert row.url == reverse("threat_detail", args=["acme", checkout.pk, threat.number])
    assert (row.target_type, row.target_id) == ("projects.threat", threat.pk)


def test_no_one_is_told_of_an_owner_unchanged_or_taken_by_themself(cast: Cast, checkout: Project) -> None:
    engineer = cast.membership(cast.engineer)
    threat = workspace_services.threat_create(
        membership=engineer,
        project=checkout,
        threat_source="attacker",
        threat_action="x",
        owner=cast.engineer,
    )
    workspace_services.threat_update(
        membership=engineer, threat=threat, version=threat.version, owner=cast.engineer
    )
    workspace_services.threat_update(
        membership=engineer, threat=threat, version=threat.version, threat_action="steal", owner=cast.engineer
    )
    workspace_services.threat_update(membership=engineer, threat=threat, version=threat.version, owner=None)

    assert not Notification.objects.exists()


def test_controls_tell_their_new_owner_when_made_and_when_changed(cast: Cast, checkout: Project) -> None:
    engineer = cast.membership(cast.engineer)
    control = workspace_services.control_create(
        membership=engineer, project=checkout, title="Rate limit", owner=cast.viewer
    )
    workspace_services.control_update(
        membership=engineer, control=control, version=control.version, owner=cast.security_lead
    )
    threat = ThreatFactory.create(project=checkout)
    workspace_services.control_create_and_link(
        membership=engineer, threat=threat, effectiveness=50, title="WAF", owner=cast.viewer
    )

    assert told(cast.viewer) == [
        (
            "acme",
            "assignment",
            f"{cast.engineer} made you the owner of the control “Rate limit” in Checkout",
        ),
        ("acme", "assignment", f"{cast.engineer} made you the owner of the control “WAF” in Checkout"),
    ]
    assert told(cast.security_lead) == [
        (
            "acme",
            "assignment",
            f"{cast.engineer} made you the owner of the control “Rate limit” in Checkout",
        )
    ]
    assert Notification.objects.filter(recipient=cast.viewer).earliest("pk").url == reverse(
        "control_detail", args=["acme", checkout.pk, control.pk]
    )


def test_business_risks_tell_their_new_owner(cast: Cast) -> None:
    risk = add_risk(cast, owner=cast.viewer)
    risk_services.risk_update(
        membership=cast.membership(cast.security_lead), risk=risk, version=risk.version, owner=cast.owner
    )

    subject = (
        f"{cast.security_lead} made you the owner of the business risk R-{risk.number} “Card data exposed”"
    )
    assert told(cast.viewer) == [("acme", "assignment", subject)]
    assert told(cast.owner) == [("acme", "assignment", subject)]
    assert Notification.objects.filter(recipient=cast.owner).get().url == reverse(
        "risk_detail", args=["acme", risk.number]
    )


def _request_acceptance(cast: Cast, risk: BusinessRisk, days: int = 90) -> RiskAcceptance:
    return risk_services.acceptance_request(
        membership=cast.membership(cast.security_lead),
        risk=risk,
        rationale="Fixed in the Q3 rewrite.",
        expires_on=timezone.localdate() + days * DAY,
    )


def test_the_owner_is_told_of_an_acceptance_request_and_the_requester_of_the_decision(cast: Cast) -> None:
    risk = add_risk(cast, owner=cast.viewer)
    Notification.objects.all().delete()
    acceptance = _request_acceptance(cast, risk)
    until = acceptance.expires_on
    asked = f"{cast.security_lead} asks you to accept R-{risk.number} “Card data exposed” until {until.day} {until:%b %Y}"
    assert told(cast.viewer) == [("acme", "acceptance_requested", asked)]

    risk_services.acceptance_decide(
        membership=cast.membership(cast.viewer),
        acceptance=acceptance,
        version=acceptance.version,
        approve=False,
    )
    decided = f"{cast.viewer} declined your request to accept R-{risk.number} “Card data exposed”"
    assert told(cast.security_lead) == [("acme", "acceptance_decided", decided)]
    row = Notification.objects.get(recipient=cast.security_lead)
    assert (row.url, row.target_type, row.target_id) == (
        reverse("risk_detail", args=["acme", risk.number]) + "#acceptance",
        "risks.riskacceptance",
        acceptance.pk,
    )


def test_an_approval_says_approved(cast: Cast) -> None:
    risk = add_risk(cast, owner=cast.viewer)
    acceptance = _request_acceptance(cast, risk)
    risk_services.acceptance_decide(
        membership=cast.membership(cast.viewer),
        acceptance=acceptance,
        version=acceptance.version,
        approve=True,
    )
    assert Notification.objects.get(kind="acceptance_decided").subject.startswith(
        f"{cast.viewer} approved your request"
    )


# Daily reminders -------------------------------------------------------------------------------------------


def reminders(day: datetime.date | None = None) -> int:
    """Run the daily reminders as on `day` (today by default): what they write is dated that day."""
    day = day or timezone.localdate()
    latest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    written = notification_reminders.reminders_send(day)
    noon = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    Notification.objects.filter(pk__gt=latest).update(created_at=noon)
    return written


def test_the_owner_of_an_overdue_control_is_reminded_once(cast: Cast, checkout: Project) -> None:
    today = timezone.localdate()
    overdue = ControlFactory.create(
        project=checkout, title="Rotate keys", owner=cast.engineer, due_on=today - DAY
    )
    ControlFactory.create(project=checkout, title="Due today", owner=cast.engineer, due_on=today)
    ControlFactory.create(project=checkout, title="Nobody's", due_on=today - DAY)
    ControlFactory.create(
        project=checkout,
        title="Done",
        owner=cast.engineer,
        due_on=today - DAY,
        status=ControlStatus.IMPLEMENTED,
    )
    archived = ProjectFactory.create(team=cast.team, status=ProjectStatus.ARCHIVED)
    ControlFactory.create(project=archived, title="Archived", owner=cast.engineer, due_on=today - DAY)

    assert reminders() == 1
    due = f"{(today - DAY).day} {today - DAY:%b %Y}"
    assert told(cast.engineer) == [
        (
            "acme",
            "control_overdue",
            f"The control “Rotate keys” in Checkout was due on {due} and is not in force yet",
        )
    ]
    assert Notification.objects.get().url == reverse("control_detail", args=["acme", checkout.pk, overdue.pk])
    assert reminders() == 0
    assert reminders(today + 5 * DAY) == 1  # "Due today" is overdue by then; "Rotate keys" was told already


def test_an_overdue_control_with_a_new_owner_or_a_new_date_is_reminded_again(
    cast: Cast, checkout: Project
) -> None:
    today = timezone.localdate()
    control = ControlFactory.create(project=checkout, owner=cast.engineer, due_on=today - 3 * DAY)
    reminders(today - 2 * DAY)
    control.owner = cast.other_engineer
    control.save()
    assert reminders(today - 2 * DAY) == 1
    control.due_on = today - DAY
    control.save()
    assert reminders(today) == 1
    assert Notification.objects.filter(recipient=cast.other_engineer).count() == 2


def test_a_control_owner_no_longer_a_member_is_not_reminded(cast: Cast, checkout: Project) -> None:
    ControlFactory.create(project=checkout, owner=cast.engineer, due_on=timezone.localdate() - DAY)
    Membership.objects.filter(user=cast.engineer).delete()
    assert reminders() == 0


def _accepted(cast: Cast, expires_in: int, title: str = "") -> RiskAcceptance:
    risk = add_risk(cast, owner=cast.viewer, title=title or f"Runs out in {expires_in}")
    acceptance = _request_acceptance(cast, risk, days=max(expires_in, 1))
    risk_services.acceptance_decide(
        membership=cast.membership(cast.viewer),
        acceptance=acceptance,
        version=acceptance.version,
        approve=True,
    )
    RiskAcceptance.objects.filter(pk=acceptance.pk).update(expires_on=timezone.localdate() + expires_in * DAY)
    acceptance.refresh_from_db()
    Notification.objects.all().delete()
    return acceptance


def test_an_acceptance_is_announced_a_week_before_it_runs_out_and_on_the_day(cast: Cast) -> None:
    today = timezone.localdate()
    acceptance = _accepted(cast, 7)
    _accepted(cast, 8)  # not yet
    number = acceptance.risk.number
    ends = f"{acceptance.expires_on.day} {acceptance.expires_on:%b %Y}"

    assert reminders(today) == 2
    week = f"The acceptance of R-{number} “Runs out in 7” runs out on {ends}, in 7 days: review the risk"
    assert told(cast.viewer) == [("acme", "acceptance_expiring", week)]
    assert told(cast.security_lead) == [("acme", "acceptance_expiring", week)]
    assert reminders(today) == 0
    assert reminders(today + 3 * DAY) == 2  # the other one, now within the week
    assert reminders(today + 6 * DAY) == 0

    assert reminders(acceptance.expires_on) == 2
    assert Notification.objects.filter(subject__contains="runs out today").count() == 2
    assert reminders(acceptance.expires_on) == 0


def test_an_acceptance_that_ran_out_declined_or_replaced_is_not_announced(cast: Cast) -> None:
    today = timezone.localdate()
    _accepted(cast, -1)
    superseded = _accepted(cast, 3)
    RiskAcceptance.objects.create(
        risk=superseded.risk,
        requested_by=cast.security_lead,
        rationale="Renewed",
        expires_on=today + 200 * DAY,
        status=AcceptanceStatus.APPROVED,
    )
    risk = add_risk(cast, owner=cast.viewer, title="Only asked")
    _request_acceptance(cast, risk, days=3)
    Notification.objects.all().delete()

    assert reminders(today) == 0


def test_reminders_stay_in_the_organisation_of_what_they_remind_of(cast: Cast) -> None:
    globex = ProjectFactory.create(team=TeamFactory.create(organisation=cast.outsider_organisation))
    MembershipFactory.create(user=cast.engineer, organisation=cast.outsider_organisation, role="engineer")
    ControlFactory.create(project=globex, owner=cast.engineer, due_on=timezone.localdate() - DAY)

    assert reminders() == 1
    assert told(cast.engineer)[0][0] == "globex"


def test_reminders_are_emailed_to_whoever_wants_them_at_once(
    cast: Cast, checkout: Project, django_capture_on_commit_callbacks: Capture
) -> None:
    ControlFactory.create(
        project=checkout, title="Rotate keys", owner=cast.engineer, due_on=timezone.localdate() - DAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders()
    [message] = mail.outbox
    assert message.to == ["engineer@acme.test"]
    assert message.subject.startswith("[Acme Payments] The control “Rotate keys” in Checkout was due on")


def test_reminders_cost_the_same_queries_for_one_or_many(cast: Cast, checkout: Project) -> None:
    today = timezone.localdate()
    ControlFactory.create(project=checkout, owner=cast.engineer, due_on=today - DAY)
    _accepted(cast, 7)
    one = count_queries(reminders)
    for n in range(10):
        ControlFactory.create(project=checkout, owner=cast.engineer, due_on=today - DAY)
        _accepted(cast, 7, title=f"Risk {n}")
    assert count_queries(reminders) == one

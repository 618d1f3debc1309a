"""The review pages: the organisation's review queue (threats in review, models waiting for sign-off), a
project's Review tab (submit, where it stands, approve or ask for changes, withdraw) and the changes since its approval.

Thin views over projects.review_services and projects.review_selectors. The queue serves the whole page and, for
htmx, its "results" partial; its filters live in the query string, and the decision form carries them back.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from projects import review_selectors as selectors
from projects import review_services as services
from projects.access import member_required, project_required
from projects.http import AuthenticatedHttpRequest
from projects.model_forms import apply_service_errors
from projects.models import Membership, Project
from projects.review_forms import ModelDecisionForm, ModelSubmitForm, ModelWithdrawForm, ThreatDecisionForm
from projects.review_models import ModelReview, ThreatReviewDecision
from projects.roles import Permission
from projects.workspace_selectors import EstateScope, project_choices_of
from projects.workspace_services import StaleObjects, can_edit_project

QUEUE_PER_PAGE = 50
QUEUE_MODELS_SHOWN = 50  # models waiting for sign-off listed at once, those waiting longest first
QUEUE_RESULTS_ID = "review-queue-results"


# The review queue ----------------------------------------------------------------------------------------


def _queue_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    query: QueryDict,
    form: ThreatDecisionForm | None = None,
) -> HttpResponse:
    scope = EstateScope.from_query(query)
    page = Paginator(selectors.threats_in_review(membership, scope), QUEUE_PER_PAGE).get_page(
        query.get("page")
    )
    # One more than is shown, to know whether more are waiting without counting them all.
    models = list(selectors.models_waiting(membership, scope)[: QUEUE_MODELS_SHOWN + 1])
    context: dict[str, Any] = {
        "membership": membership,
        "scope": scope,
        "page": page,
        "models": models[:QUEUE_MODELS_SHOWN],
        "more_models": len(models) > QUEUE_MODELS_SHOWN,
        "may_decide": services.may_decide(membership),
        "form": form,
        "query": query.urlencode(),
        "decisions": ThreatReviewDecision.choices,
        "queue_url": reverse("review_queue", args=[membership.organisation.slug]),
        "results_id": QUEUE_RESULTS_ID,
    }
    status = 400 if form is not None and form.errors else 200
    if request.htmx and request.htmx.target == QUEUE_RESULTS_ID:
        return render(request, "reviews/queue.html#results", context, status=status)
    context |= {
        "teams": membership.organisation.teams.order_by("name"),
        "projects": project_choices_of(membership),
    }
    return render(request, "reviews/queue.html", context, status=status)


@require_GET
@vary_on_headers("HX-Request", "HX-Target")
@member_required()
def review_queue(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Threats in review across the organisation and the models waiting for sign-off, by team or project."""
    return _queue_page(request, membership, request.GET)


@require_POST
@member_required(Permission.DECIDE_THREAT_REVIEW)
def review_queue_decide(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Confirm, reject or send back the ticked threats, each as the queue showed it: all of them, or none."""
    query = QueryDict(request.POST.get("query", "")[:2_000])
    form = ThreatDecisionForm(request.POST, membership=membership)
    back = reverse("review_queue", args=[membership.organisation.slug])
    back += f"?{query.urlencode()}" if query else ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = services.threats_review(
                membership=membership,
                seen=data["threats"],
                decision=data["decision"],
                comment=data["comment"],
            )
        except StaleObjects as error:
            messages.warning(
                request, f"{error} The queue shows them as they are now: check them and decide again."
            )
            return redirect(back)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done.summary)
            return redirect(back)
    return _queue_page(request, membership, query, form)


# A project's Review tab ----------------------------------------------------------------------------------


def _review_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    *,
    submit_form: ModelSubmitForm | None = None,
    decision_form: ModelDecisionForm | None = None,
    withdraw_form: ModelWithdrawForm | None = None,
) -> HttpResponse:
    state = selectors.review_state(project)
    may_decide = services.may_decide(membership)
    waiting = state.open_review
    can_edit = can_edit_project(membership, project)
    refused = services.approval_refused(membership, waiting, state.snapshot) if waiting and may_decide else ""
    context = {
        "membership": membership,
        "project": project,
        "can_edit": can_edit,
        "section": "review",
        "state": state,
        "reviews": selectors.past_reviews(project),
        "may_decide": may_decide,
        "may_approve": may_decide and waiting is not None and not refused,
        "approval_refused": refused,
        "submit_form": submit_form or ModelSubmitForm(),
        "decision_form": decision_form or ModelDecisionForm(initial={"digest": state.digest}),
        "may_withdraw": can_edit and waiting is not None,
        "withdraw_form": withdraw_form or ModelWithdrawForm(),
    }
    failed = any(form is not None and form.errors for form in (submit_form, decision_form, withdraw_form))
    return render(request, "reviews/project_review.html", context, status=400 if failed else 200)


@require_GET
@project_required()
def project_review(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    return _review_page(request, membership, project)


@require_POST
@project_required()
def project_review_submit(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    form = ModelSubmitForm(request.POST)
    if form.is_valid():
        try:
            services.model_review_submit(
                membership=membership, project=project, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"The threat model of {project} is waiting for review.")
            return redirect("project_review", project.organisation.slug, project.pk)
    return _review_page(request, membership, project, submit_form=form)


def _close_review(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    project: Project,
    form: ModelDecisionForm | ModelWithdrawForm,
    *,
    close: Callable[..., ModelReview],
    done: Callable[[ModelReview], str],
) -> HttpResponse | None:
    """Decide or withdraw the model waiting with what the form read, and go back to the Review tab saying how it
    went; None to show the form again, with the errors of the form or of the service."""
    if not form.is_valid():
        return None
    back = redirect("project_review", project.organisation.slug, project.pk)
    try:
        review = close(membership=membership, project=project, **form.cleaned_data)
    except services.ModelChanged as error:
        messages.warning(request, " ".join(error.messages))
        return back
    except services.NotWaiting as error:
        messages.error(request, " ".join(error.messages))
        return back
    except ValidationError as error:
        apply_service_errors(form, error)
        return None
    messages.success(request, done(review))
    return back


@require_POST
@project_required()
def project_review_decide(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    form = ModelDecisionForm(request.POST)
    closed = _close_review(
        request,
        membership,
        project,
        form,
        close=services.model_review_decide,
        done=lambda review: f"The threat model of {project}: {review.get_decision_display().lower()}.",
    )
    return closed or _review_page(request, membership, project, decision_form=form)


@require_POST
@project_required()
def project_review_withdraw(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    """Take back the model waiting for review, undecided (whoever may edit the project)."""
    form = ModelWithdrawForm(request.POST)
    closed = _close_review(
        request,
        membership,
        project,
        form,
        close=services.model_review_withdraw,
        done=lambda _: f"The threat model of {project} is no longer waiting for review: you withdrew it.",
    )
    return closed or _review_page(request, membership, project, withdraw_form=form)


@require_GET
@project_required()
def project_review_changes(
    request: AuthenticatedHttpRequest, membership: Membership, project: Project
) -> HttpResponse:
    """The changes to the model since its latest approval (or, ?since=submission, since the submission waiting
    for review), part by part and field by field."""
    since = "submission" if request.GET.get("since") == "submission" else "approval"
    context = {
        "membership": membership,
        "project": project,
        "can_edit": can_edit_project(membership, project),
        "section": "review",
        "since": since,
        "changes": selectors.changes_since(project, since),
        "waiting": selectors.open_review(project),
    }
    return render(request, "reviews/changes.html", context)

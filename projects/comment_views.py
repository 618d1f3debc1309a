"""The comments panel of a project, a threat, a control and a business risk, and editing and deleting a comment.

The panel is its own URL: the pages include a placeholder that htmx fills on load (templates/comments/
include.html), and the same URL without htmx is a page of its own, so everything works without JavaScript.
Adding answers with the panel again (htmx) or a redirect to the comment; editing and deleting answer with the
one comment (htmx) or a redirect. Writes go through projects.comment_services only, reads through projects.comment_selectors.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import models
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from projects import comment_services as services
from projects import mentions
from projects.access import member_required
from projects.comment_models import Comment
from projects.comment_selectors import comment_of, comments_of, rendered, risk_of
from projects.conflicts import ConflictNotice, rebase_form
from projects.http import CONFLICT, CONFLICT_FOR_HTMX, AuthenticatedHttpRequest, posted
from projects.model_forms import DeleteForm, apply_service_errors
from projects.models import Membership, Project
from projects.query import query_int, query_text
from projects.roles import Permission
from projects.workspace_selectors import control_of, project_of, threat_of

PER_PAGE = 50
BODY_HELP = (
    "Markdown: **bold**, *italic*, `code`, lists, > quotes and links. Mention a member with @ and the start of "
    "their e-mail address (@alice); they are notified."
)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=Comment._meta.get_field("body").max_length,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "data-mention-input": ""}),
    )


class CommentEditForm(CommentForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


# The panel --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A comment as the panel shows it: its HTML, and what the reader may do to it."""

    comment: Comment
    html: str
    can_edit: bool
    can_delete: bool


def panel_url(target: models.Model) -> str:
    return services.target_page(target, "comments")


def shown(membership: Membership, comments: list[Comment]) -> list[Shown]:
    """The comments rendered, their mentions linked to the members they name (one query for all of them)."""
    return [
        Shown(
            comment,
            each.html,
            services.can_edit(membership, comment),
            services.can_delete(membership, comment),
        )
        for comment, each in zip(comments, rendered(membership.organisation, comments), strict=True)
    ]


def _panel_context(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    target: models.Model,
    form: CommentForm | None = None,
    added: Comment | None = None,
) -> dict[str, Any]:
    paginator = Paginator(comments_of(target), PER_PAGE)
    number = query_int(request.GET.get("page", "")) if request.method == "GET" else None
    page: Page[Comment] = paginator.get_page(number or paginator.num_pages)
    return {
        "membership": membership,
        "target": target,
        "target_name": services.target_name(target),
        "target_url": services.target_url(target),
        "panel_url": panel_url(target),
        "page": page,
        "comments": shown(membership, list(page.object_list)),
        "can_comment": membership.can(Permission.COMMENT),
        "form": form or CommentForm(auto_id="comment-new-%s"),
        "added": added,
        "activity_url": (
            reverse("project_activity", args=[target.organisation.slug, target.pk])
            if isinstance(target, Project)
            else None
        ),
    }


def _panel(request: AuthenticatedHttpRequest, membership: Membership, target: models.Model) -> HttpResponse:
    if request.method == "GET":
        context = _panel_context(request, membership, target)
        return render(request, "comments/panel.html" if request.htmx else "comments/page.html", context)
    form = CommentForm(request.POST, auto_id="comment-new-%s")
    if form.is_valid():
        try:
            comment = services.comment_create(membership=membership, target=target, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Comment added.")
                return redirect(services.comment_url(comment))
            return render(
                request, "comments/panel.html", _panel_context(request, membership, target, added=comment)
            )
    context = _panel_context(request, membership, target, form=form)
    return render(
        request, "comments/panel.html" if request.htmx else "comments/page.html", context, status=400
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def project_comments(
    request: AuthenticatedHttpRequest, membership: Membership, project_id: int
) -> HttpResponse:
    return _panel(request, membership, project_of(membership, project_id))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def threat_comments(
    request: AuthenticatedHttpRequest, membership: Membership, project_id: int, threat_number: int
) -> HttpResponse:
    return _panel(request, membership, threat_of(project_of(membership, project_id), threat_number))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def control_comments(
    request: AuthenticatedHttpRequest, membership: Membership, project_id: int, control_id: int
) -> HttpResponse:
    return _panel(request, membership, control_of(project_of(membership, project_id), control_id))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def risk_comments(
    request: AuthenticatedHttpRequest, membership: Membership, risk_number: int
) -> HttpResponse:
    return _panel(request, membership, risk_of(membership, risk_number))


# One comment ------------------------------------------------------------------------------------------------


def _one(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    comment: Comment,
    *,
    form: CommentEditForm | None = None,
    conflict: ConflictNotice | None = None,
    status: int = 200,
) -> HttpResponse:
    """One comment: as the panel shows it, or with its edit form (a partial for htmx, else a page)."""
    context = {
        "membership": membership,
        "item": shown(membership, [comment])[0],
        "form": form,
        "conflict": conflict,
        "target_name": services.target_name(comment.target),
        "target_url": services.target_url(comment.target),
        "panel_url": panel_url(comment.target),
    }
    if request.htmx:
        template = "comments/edit.html#edit-form" if form else "comments/comment.html"
        return render(request, template, context, status=status)
    return render(request, "comments/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def comment_edit(request: AuthenticatedHttpRequest, membership: Membership, comment_id: int) -> HttpResponse:
    comment = comment_of(membership, comment_id)
    if not services.can_edit(membership, comment):
        raise PermissionDenied("Only its author can edit a comment, and not once it is deleted.")
    initial = {"version": comment.version, "body": comment.body}
    form = CommentEditForm(posted(request), initial=initial, auto_id=f"comment-{comment.pk}-%s")
    if request.method == "GET" or not form.is_valid():
        return _one(request, membership, comment, form=form, status=200 if request.method == "GET" else 400)
    try:
        services.comment_edit(membership=membership, comment=comment, **form.cleaned_data)
    except services.EditConflict as error:
        rebased, conflict = rebase_form(form, error)
        status = CONFLICT_FOR_HTMX if request.htmx else CONFLICT
        return _one(request, membership, comment, form=rebased, conflict=conflict, status=status)
    except ValidationError as error:
        apply_service_errors(form, error)
        return _one(request, membership, comment, form=form, status=400)
    if request.htmx:
        return _one(request, membership, comment)
    messages.success(request, "Comment saved.")
    return redirect(services.comment_url(comment))


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@member_required()
def comment_delete(
    request: AuthenticatedHttpRequest, membership: Membership, comment_id: int
) -> HttpResponse:
    comment = comment_of(membership, comment_id)
    if comment.is_deleted:
        return _gone(request, membership, comment)
    if not services.can_delete(membership, comment):
        raise PermissionDenied("Only its author or an owner of the organisation can delete a comment.")
    form = DeleteForm(posted(request), initial={"version": comment.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_delete(
                membership=membership, comment=comment, version=form.cleaned_data["version"]
            )
        except services.EditConflict:
            return _gone(request, membership, comment_of(membership, comment_id), changed=True)
        if request.htmx:
            return _one(request, membership, comment)
        messages.success(request, "Comment deleted.")
        return redirect(services.target_url(comment.target) + f"#comment-{comment.pk}")
    context = {
        "membership": membership,
        "item": shown(membership, [comment])[0],
        "form": form,
        "target_name": services.target_name(comment.target),
        "target_url": services.target_url(comment.target),
    }
    return render(request, "comments/delete.html", context, status=400 if form.errors else 200)


def _gone(
    request: AuthenticatedHttpRequest, membership: Membership, comment: Comment, changed: bool = False
) -> HttpResponse:
    """A delete that finds the comment deleted already, or changed since the person read it: nothing is done,
    and the comment is shown as it is now."""
    if request.htmx:
        return _one(request, membership, comment)
    if changed and not comment.is_deleted:
        messages.warning(
            request, "The comment was edited since you opened it, so it was not deleted: read it again."
        )
    else:
        messages.info(request, "This comment is deleted already.")
    return redirect(services.target_url(comment.target) + f"#comment-{comment.pk}")


@require_GET
@member_required()
def comment_mentions(request: AuthenticatedHttpRequest, membership: Membership) -> JsonResponse:
    """Members whose address or name starts with `q`, for the @ autocomplete of the comment box."""
    found = mentions.suggestions(membership.organisation, query_text(request.GET.get("q", ""), 100))
    return JsonResponse(
        {"members": [{"handle": handle, "name": user.display_name} for user, handle in found]}
    )

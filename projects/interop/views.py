"""The model upload page of an organisation, and a project's model as a download.

Uploading shows a preview of what the import would write, with nothing written yet: the file is kept for an
hour (projects.interop.staging) and committing it reads it again, so what is written is what the preview
showed. A file that cannot be imported is refused on the file field, with the problem and its place.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.access import member_required, project_required
from projects.downloads import attachment
from projects.http import AuthenticatedHttpRequest, posted
from projects.interop import staging
from projects.interop.document import InvalidModelFile
from projects.interop.formats import WRITERS, ExportedFile, export, parse
from projects.interop.forms import CommitForm, UploadForm
from projects.interop.selectors import import_teams, project_document
from projects.interop.services import ImportPreview, model_import, model_preview
from projects.model_forms import apply_service_errors
from projects.models import Membership, Project
from projects.roles import Permission


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_TEAM_PROJECTS)
def model_import_upload(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = UploadForm(membership, posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        preview = _preview(membership, form)
        if preview is not None:
            commit = CommitForm(membership, initial=_choices(form))
            context = {"membership": membership, "form": commit, **_shown(preview)}
            return render(request, "interop/preview.html", context)
    return _upload_page(request, membership, form)


@require_POST
@member_required(Permission.EDIT_TEAM_PROJECTS)
def model_import_commit(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = CommitForm(membership, request.POST)
    token = request.POST.get("token", "")
    if "cancel" in request.POST:
        staging.unstage(membership_id=membership.pk, token=token)
        messages.info(request, "Import cancelled; nothing was written.")
        return redirect("model_import", membership.organisation.slug)
    upload = UploadForm(membership, request.POST)
    if form.is_valid() and upload.is_valid():
        try:
            data = staging.staged(membership_id=membership.pk, token=token).data
            result = model_import(document=parse(data, format=form.cleaned_data["format"]), **_where(form))
        except InvalidModelFile as error:
            upload.add_error("file", str(error))
            _keep(upload, token="")
        except ValidationError as error:
            apply_service_errors(upload, error)
        else:
            staging.unstage(membership_id=membership.pk, token=token)
            messages.success(request, _imported(result.project, result.counts, len(result.warnings)))
            return redirect("project_detail", membership.organisation.slug, result.project.pk)
    return _upload_page(request, membership, upload)


@require_GET
@project_required()
def model_export(request: AuthenticatedHttpRequest, membership: Membership, project: Project) -> HttpResponse:
    format = request.GET.get("format", "")
    if format not in WRITERS:
        return HttpResponse(f"Choose a format: {', '.join(WRITERS)}.", status=400, content_type="text/plain")
    return model_attachment(project, format)


def model_attachment(project: Project, format: str) -> HttpResponse:
    """A project's model in another tool's format as a download, for this page and the API alike."""
    return _download(export(project_document(project), format))


def _download(exported: ExportedFile) -> HttpResponse:
    response = HttpResponse(exported.data, content_type=f"{exported.content_type}; charset=utf-8")
    return attachment(response, exported.name)


def _upload_page(request: AuthenticatedHttpRequest, membership: Membership, form: UploadForm) -> HttpResponse:
    context = {"membership": membership, "form": form, "has_teams": import_teams(membership).exists()}
    return render(request, "interop/upload.html", context, status=400 if form.errors else 200)


def _preview(membership: Membership, form: UploadForm) -> ImportPreview | None:
    """The preview of the uploaded (or already kept) file, or None with the refusal put on the form."""
    upload, token = form.cleaned_data["file"], form.cleaned_data["token"]
    try:
        if upload is not None:
            token = staging.stage(membership_id=membership.pk, name=upload.name, data=upload.read())
            _keep(form, token=token)
        data = staging.staged(membership_id=membership.pk, token=token).data
        document = parse(data, format=form.cleaned_data["format"])
        preview = model_preview(document=document, **_where(form))
    except InvalidModelFile as error:
        form.add_error("file", str(error))
        _keep(form, token="")  # a file that cannot be imported is chosen again
        return None
    except ValidationError as error:
        apply_service_errors(form, error)  # the file is fine: it stays kept for the corrected choices
        return None
    form.cleaned_data["token"] = token
    return preview


def _keep(form: UploadForm, *, token: str) -> None:
    """Show the form again holding this upload token (none: the file must be chosen again)."""
    form.data = {key: form.data.get(key) for key in form.data} | {"token": token}


# The parts of a model as the preview names them, with the ImportPreview attribute that lists them.
KINDS = (
    ("trust zones", "zones"),
    ("assets", "assets"),
    ("components", "components"),
    ("data flows", "flows"),
    ("threats", "threats"),
    ("controls", "controls"),
)


def _shown(preview: ImportPreview) -> dict[str, Any]:
    dropping = [f"{preview.dropping[key]} {kind}" for kind, key in KINDS if preview.dropping.get(key)]
    return {
        "preview": preview,
        "counts": [(kind, preview.counts[key]) for kind, key in KINDS] + [("links", preview.counts["links"])],
        "lists": [(kind, getattr(preview, key)) for kind, key in KINDS],
        "dropping": ", ".join(dropping),
    }


def _where(form: UploadForm | CommitForm) -> dict[str, Any]:
    values = form.cleaned_data
    replace = values["replace"]
    team = replace.team if replace is not None else values["team"]
    return {"membership": form.membership, "team": team, "replace": replace, "name": values["name"] or None}


def _choices(form: UploadForm) -> dict[str, Any]:
    values = form.cleaned_data
    replace = values["replace"]
    return {
        "token": values["token"],
        "format": values["format"],
        "team": values["team"].pk,
        "replace": replace.pk if replace is not None else "",
        "name": values["name"],
    }


def _imported(project: Project, counts: dict[str, int], warnings: int) -> str:
    nouns = {"components": "component", "flows": "data flow", "threats": "threat", "controls": "control"}
    parts = ", ".join(_count(counts[key], noun) for key, noun in nouns.items())
    noted = (
        f" {_count(warnings, 'note')} on what it could not keep: see “Notes from import”." if warnings else ""
    )
    return f"Imported “{project.name}”: {parts}.{noted}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"

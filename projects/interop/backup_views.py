"""The owners' backup page, under the organisation's settings: download the organisation's backup, or restore a
backup as a new organisation, the owner restoring it becoming one of its owners alongside the members in the
file. Both are thin over projects.interop.backup, as the export_org and import_org commands are."""

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from projects.access import member_required
from projects.downloads import attachment
from projects.http import AuthenticatedHttpRequest
from projects.interop.backup import (
    InvalidBackup,
    backup_bytes,
    export_org_document,
    import_org_document,
    read_backup,
)
from projects.models import Membership, Organisation, User
from projects.one_line import validate_one_line
from projects.roles import Permission

MAX_UPLOAD_BYTES = 100 * 1_048_576


class RestoreForm(forms.Form):
    file = forms.FileField(
        label="Backup file",
        help_text="A JSON file downloaded from this page, or written by manage.py export_org.",
    )
    slug = forms.SlugField(
        label="Web address",
        max_length=60,
        help_text="Where the restored organisation will live, as in /o/<em>address</em>/; it must be free.",
    )
    name = forms.CharField(
        label="Name",
        max_length=200,
        required=False,
        validators=[validate_one_line],
        help_text="Leave it empty to keep the name in the file.",
    )


@require_GET
@member_required(Permission.MANAGE_ORGANISATION)
def organisation_backup(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership, RestoreForm())


@require_GET
@member_required(Permission.MANAGE_ORGANISATION)
def organisation_backup_download(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    organisation = membership.organisation
    response = HttpResponse(backup_bytes(export_org_document(organisation)), content_type="application/json")
    return attachment(response, f"{organisation.slug}-backup-{timezone.localdate().isoformat()}.json")


@require_POST
@member_required(Permission.MANAGE_ORGANISATION)
def organisation_restore(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = RestoreForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            restored = _restore(form.cleaned_data, owner=request.user)
        except InvalidBackup as error:
            taken = error.where == "organisation.slug"
            form.add_error("slug" if taken else "file", error.message if taken else str(error))
        else:
            messages.success(request, f"{restored.name} is restored, with you as one of its owners.")
            return redirect("organisation_dashboard", org_slug=restored.slug)
    return _page(request, membership, form, status=400)


def _restore(data: dict[str, object], *, owner: User) -> Organisation:
    upload = data["file"]
    assert isinstance(upload, UploadedFile)
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise InvalidBackup(f"The file is over the limit of {MAX_UPLOAD_BYTES // 1_048_576} MB.")
    document = read_backup(upload.read(), limit=MAX_UPLOAD_BYTES)
    name = str(data["name"] or "") or None
    return import_org_document(document, name=name, slug=str(data["slug"]), owner=owner)


def _page(
    request: AuthenticatedHttpRequest, membership: Membership, form: RestoreForm, status: int = 200
) -> HttpResponse:
    context = {"membership": membership, "form": form, "limit_mb": MAX_UPLOAD_BYTES // 1_048_576}
    return render(request, "interop/backup.html", context, status=status)

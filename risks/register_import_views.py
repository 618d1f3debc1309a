"""The register import's pages, under /o/<org_slug>/risks/import/: upload a spreadsheet, match its columns to
the register's fields, preview every row with its errors, and import; and a sample file to start from.

Only those who may edit the register import into it. The upload is kept between steps for an hour under a
token bound to the member's membership (projects.interop.staging), so each step reads the file as uploaded and
nobody else's token finds anything. Reading, checking and writing are risks.register_import's; these views only
carry the steps. Every step is a plain form: nothing needs JavaScript.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.access import member_required
from projects.http import AuthenticatedHttpRequest, posted
from projects.interop import staging, tables
from projects.interop.document import InvalidModelFile
from projects.interop.tables import Column
from projects.model_forms import apply_service_errors
from projects.models import Membership
from projects.roles import Permission
from risks import inputs
from risks.register_import import (
    FIELDS,
    MAX_ROWS,
    Checked,
    ImportRefused,
    Sheet,
    guess_mapping,
    read_sheet,
    register_import,
    register_import_check,
)
from risks.register_import_forms import CommitForm, MappingForm, SheetForm, UploadedForm, UploadForm

SAMPLE_ROWS = 3  # rows of the sheet the columns step shows, to recognise the columns by


def _upload(request: AuthenticatedHttpRequest, membership: Membership) -> tuple[str, Sheet]:
    """The staged upload a step names, read again: InvalidModelFile when it expired or cannot be read."""
    carried = UploadedForm(request.POST)
    if not carried.is_valid():
        raise InvalidModelFile("This upload has expired or is not yours; upload the file again.")
    token = carried.cleaned_data["token"]
    staged = staging.staged(membership_id=membership.pk, token=token)
    return token, read_sheet(staged.data, carried.cleaned_data["sheet"])


def _start_again(request: AuthenticatedHttpRequest, membership: Membership, error: InvalidModelFile) -> Any:
    messages.warning(request, str(error))
    return redirect("register_import", membership.organisation.slug)


def _columns_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    token: str,
    sheet: Sheet,
    form: MappingForm,
    *,
    status: int = 200,
) -> HttpResponse:
    context = {
        "membership": membership,
        "sheet": sheet,
        "form": form,
        "sheet_form": SheetForm(initial={"token": token}, sheet=sheet) if len(sheet.names) > 1 else None,
        "sample": [cells for _, cells in sheet.rows[:SAMPLE_ROWS]],
        "recognised": bool(guess_mapping(sheet.headers)),
    }
    return render(request, "risks/register_import_columns.html", context, status=status)


def _preview_page(
    request: AuthenticatedHttpRequest,
    membership: Membership,
    form: MappingForm,
    checked: Checked,
    *,
    refusal: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "membership": membership,
        "form": form,
        "checked": checked,
        "refusal": refusal,
        "skipped": ",".join(str(number) for number in sorted(checked.bad_numbers)),
        "currency": inputs.settings_of(membership.organisation).currency,
        "fields": [field for field in FIELDS if field.name in form.mapping],
    }
    return render(request, "risks/register_import_preview.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required(Permission.EDIT_RISK_REGISTER)
def register_import_upload(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Step 1: the file. Once it reads as a sheet, it is kept and the columns step follows."""
    form = UploadForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            sheet = read_sheet(data)
            token = staging.stage(membership_id=membership.pk, name=upload.name, data=data)
        except InvalidModelFile as error:
            form.add_error("file", str(error))
        else:
            initial = MappingForm.initial_of(token, sheet, guess_mapping(sheet.headers))
            return _columns_page(request, membership, token, sheet, MappingForm(initial=initial, sheet=sheet))
    context = {"membership": membership, "form": form, "max_rows": MAX_ROWS, "fields": FIELDS}
    return render(request, "risks/register_import.html", context, status=400 if form.errors else 200)


@require_POST
@member_required(Permission.EDIT_RISK_REGISTER)
def register_import_columns(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Step 2 again: another sheet of the workbook (its columns guessed afresh), or back from the preview with
    the columns it was made with."""
    try:
        token, sheet = _upload(request, membership)
    except InvalidModelFile as error:
        return _start_again(request, membership, error)
    posted_mapping = MappingForm(request.POST, sheet=sheet)
    mapping = posted_mapping.mapping if posted_mapping.is_valid() else guess_mapping(sheet.headers)
    form = MappingForm(initial=MappingForm.initial_of(token, sheet, mapping), sheet=sheet)
    return _columns_page(request, membership, token, sheet, form)


@require_POST
@member_required(Permission.EDIT_RISK_REGISTER)
def register_import_preview(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Step 3: every row with its errors, nothing written."""
    try:
        token, sheet = _upload(request, membership)
    except InvalidModelFile as error:
        return _start_again(request, membership, error)
    form = MappingForm(request.POST, sheet=sheet)
    if form.is_valid():
        try:
            checked = register_import_check(membership=membership, sheet=sheet, mapping=form.mapping)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _preview_page(request, membership, form, checked)
    return _columns_page(request, membership, token, sheet, form, status=400)


@require_POST
@member_required(Permission.EDIT_RISK_REGISTER)
def register_import_commit(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """Step 4: the import, in one transaction; refused, the preview again with what stopped it."""
    try:
        token, sheet = _upload(request, membership)
    except InvalidModelFile as error:
        return _start_again(request, membership, error)
    form = CommitForm(request.POST, sheet=sheet)
    if not form.is_valid():
        return _columns_page(request, membership, token, sheet, form, status=400)
    try:
        created = register_import(membership=membership, sheet=sheet, mapping=form.mapping, skip=form.skip)
    except ImportRefused as refused:
        return _preview_page(request, membership, form, refused.checked, refusal=refused.message, status=400)
    except ValidationError as error:
        apply_service_errors(form, error)
        return _columns_page(request, membership, token, sheet, form, status=400)
    staging.unstage(membership_id=membership.pk, token=token)
    skipped = f"; {len(form.skip)} with errors left out" if form.skip else ""
    noun = "business risk" if len(created) == 1 else "business risks"
    span = created[0].reference + (f" to {created[-1].reference}" if len(created) > 1 else "")
    messages.success(request, f"{len(created)} {noun} imported ({span}){skipped}.")
    return redirect("risk_list", membership.organisation.slug)


SAMPLE = (
    (
        "Card data exposed: PCI fines and churn",
        "Cardholder data leaks from the payment service.",
        "Financial, Regulatory",
        "",
        "High",
        "€250,000",
        "€4,000,000",
        "Mitigate",
        "",
        "",
    ),
    (
        "Checkout down on a sales day",
        "The shop cannot take orders for a day.",
        "Operational, Financial",
        "",
        "Moderate",
        "",
        "",
        "Transfer",
        "Business-interruption insurance with Example Insurer",
        "",
    ),
)


@require_GET
@member_required(Permission.EDIT_RISK_REGISTER)
def register_import_template(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """A CSV with the columns the import recognises and two example rows, the owner left for you to fill."""
    columns = [Column(field.label) for field in FIELDS]
    rows = [(*row[:3], request.user.email, *row[4:]) for row in SAMPLE]
    return tables.table_response(
        tables.CSV, filename="business-risks-template", title="Business risks", columns=columns, rows=rows
    )

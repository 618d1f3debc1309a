"""The reports' pages: the organisation's reports (and the form to ask for one), one report's progress (polled
by htmx while a worker makes it), and its download, served only to members of its organisation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from projects.access import member_required
from projects.downloads import attachment
from projects.http import AuthenticatedHttpRequest, posted
from projects.model_forms import apply_service_errors
from projects.models import Membership, Project
from projects.roles import Permission
from reports import selectors, services
from reports.forms import ReportRequestForm
from reports.models import Report, ReportStatus

REPORTS_PER_PAGE = 25


def _form(membership: Membership, data: object, initial: dict[str, str]) -> ReportRequestForm:
    projects = Project.objects.filter(organisation=membership.organisation_id).order_by("name")
    return ReportRequestForm(data, projects=projects, initial=initial)


@require_http_methods(["GET", "POST"])
@member_required(Permission.DOWNLOAD_REPORTS)
def report_list(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    # ?kind=project&project=12 preselects the form, for the buttons on the dashboards and project pages.
    form = _form(
        membership, posted(request), {k: request.GET[k] for k in ("kind", "project") if k in request.GET}
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_request(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if report.status == ReportStatus.DONE:
                messages.info(request, "Nothing changed since this report was made: here it is again.")
            return redirect("report_detail", org_slug=membership.organisation.slug, report_id=report.pk)
    page = Paginator(selectors.reports_of(membership), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"membership": membership, "form": form, "page": page, "reports": page.object_list}
    return render(request, "reports/report_list.html", context, status=400 if form.errors else 200)


@require_GET
@member_required(Permission.DOWNLOAD_REPORTS)
def report_detail(request: AuthenticatedHttpRequest, membership: Membership, report_id: int) -> HttpResponse:
    report = selectors.report_of(membership, report_id)
    context = {"membership": membership, "report": report}
    if request.htmx:
        return render(request, "reports/report_detail.html#status", context)
    return render(request, "reports/report_detail.html", context)


@require_GET
@member_required(Permission.DOWNLOAD_REPORTS)
def report_download(
    request: AuthenticatedHttpRequest, membership: Membership, report_id: int
) -> FileResponse:
    return pdf_attachment(selectors.report_of(membership, report_id))


def pdf_attachment(report: Report) -> FileResponse:
    """A finished report's PDF as a download, for this page and the API alike: an attachment with a name made
    of slugs (no quote or line break from a project's name reaches the header), never cached by a proxy."""
    if report.status != ReportStatus.DONE or not report.file:
        raise Http404("This report has no file yet.")
    made_on = (report.finished_at or report.created_at).date().isoformat()
    name = f"{slugify(report.title)}-{slugify(report.organisation.name)}-{made_on}.pdf"
    return attachment(FileResponse(report.file.open("rb"), content_type="application/pdf"), name)

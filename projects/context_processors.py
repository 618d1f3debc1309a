from django.http import HttpRequest

from projects.selectors import organisations_for


def organisations(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's organisations, for the switcher in the page header, and the membership the request
    was resolved to, so pages a view did not render itself (403, 404) keep the organisation's header."""
    if not request.user.is_authenticated:
        return {"my_organisations": []}
    context: dict[str, object] = {"my_organisations": organisations_for(request.user)}
    if membership := getattr(request, "membership", None):
        context["membership"] = membership
    return context

from django.http import HttpRequest

from projects.selectors import organisations_for


def organisations(request: HttpRequest) -> dict[str, object]:
    """The signed-in user's organisations, for the switcher in the page header."""
    if not request.user.is_authenticated:
        return {"my_organisations": []}
    return {"my_organisations": organisations_for(request.user)}

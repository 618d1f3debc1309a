import hmac
import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from projects.models import TOKEN_PREFIX, ApiToken, User

LAST_USED_RESOLUTION = timedelta(minutes=5)
# What services.api_token_create issues, within the column's 16 characters. Anything else never reaches the
# database: a NUL byte there would crash the query instead of answering 401.
PREFIX_FORMAT = re.compile(r"[0-9a-f]{1,16}")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer tm_<prefix>_<secret>` with a personal access token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, plaintext = header.partition(" ")
        if keyword.lower() != self.keyword.lower():  # auth schemes are case-insensitive (RFC 9110, 11.1)
            return None
        plaintext = plaintext.strip()
        prefix = plaintext.removeprefix(TOKEN_PREFIX).partition("_")[0]
        if not plaintext.startswith(TOKEN_PREFIX) or not PREFIX_FORMAT.fullmatch(prefix):
            raise exceptions.AuthenticationFailed("Malformed token.")
        token = ApiToken.objects.active().select_related("user").filter(prefix=prefix).first()
        if token is None or not hmac.compare_digest(token.secret_hash, ApiToken.hash_secret(plaintext)):
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "projects.authentication.ApiTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A personal access token (tm_…)."}

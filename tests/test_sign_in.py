"""Sign-in, sign-out and password reset, through django-allauth's real forms."""

import re

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.factories import PASSWORD


def test_a_member_signs_in_with_email_and_password(cast: Cast, client: Client) -> None:
    response = client.post(reverse("account_login"), {"login": "Engineer@Acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(cast.engineer.pk)


def test_a_wrong_password_is_refused_with_a_message(cast: Cast, client: Client) -> None:
    response = client.post(reverse("account_login"), {"login": "engineer@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert SESSION_KEY not in client.session


def test_sign_up_is_closed(db: None, client: Client) -> None:
    client.post(
        reverse("account_signup"),
        {
            "email": "stranger@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert SESSION_KEY not in client.session


def test_signing_out_ends_the_session(cast: Cast, engineer_client: Client) -> None:
    response = engineer_client.post(reverse("account_logout"))
    assert response.status_code == 302
    dashboard = reverse("organisation_dashboard", args=[cast.organisation.slug])
    assert engineer_client.get(dashboard).status_code == 302


def test_a_forgotten_password_is_reset_by_email(cast: Cast, client: Client) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "engineer@acme.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/key/\S+)", str(mail.outbox[0].body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": "brand-new-pass-phrase", "password2": "brand-new-pass-phrase"},
    )
    assert response.status_code == 302
    cast.engineer.refresh_from_db()
    assert cast.engineer.check_password("brand-new-pass-phrase")


def test_resetting_an_unknown_address_sends_nothing_revealing(db: None, client: Client) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert all("reset/key" not in message.body for message in mail.outbox)

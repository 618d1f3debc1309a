from django import forms
from django.contrib.auth.password_validation import validate_password

from projects.models import Organisation, Team
from projects.one_line import validate_one_line
from projects.roles import Role


class TeamChoiceField(forms.ModelMultipleChoiceField):
    """Teams of one organisation only; a team id from elsewhere is an invalid choice."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, organisation: Organisation, **kwargs: object) -> None:
        super().__init__(queryset=organisation.teams.order_by("name"), required=False, **kwargs)


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(choices=Role.choices, initial=Role.ENGINEER)

    def __init__(self, organisation: Organisation, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teams"] = TeamChoiceField(organisation)


class MembershipForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, organisation: Organisation, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["teams"] = TeamChoiceField(organisation)


class TeamForm(forms.Form):
    name = forms.CharField(
        max_length=Team._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class OrganisationForm(forms.Form):
    name = forms.CharField(
        max_length=Organisation._meta.get_field("name").max_length,
        validators=[validate_one_line],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. “CI pipeline”.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class AcceptInvitationForm(forms.Form):
    """For people who have no account yet: choose a name and password, then join."""

    name = forms.CharField(
        max_length=150,
        required=False,
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, email: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.email = email

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif isinstance(first, str):
            try:
                validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

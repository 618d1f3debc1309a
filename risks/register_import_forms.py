"""Forms of the register import's steps: the upload, the choice of a workbook's sheet, the columns that feed
each field, and the commit (which carries the columns the preview was made with, and the rows it chose to skip).

The upload is kept between steps under a token (projects.interop.staging); every later form carries that token
and the sheet read, and risks.register_import reads the upload again, so each step is the file as uploaded.
"""

from typing import Any

from django import forms

from projects.interop.document import MAX_FILE_BYTES
from risks.register_import import FIELDS, MAX_ROWS, Sheet

NOT_IN_FILE = ""


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text=f"A CSV file or an Excel workbook (.xlsx) of up to {MAX_FILE_BYTES // 1_048_576} MB and "
        f"{MAX_ROWS:,} risks. Its first row names the columns; you match them to the register's fields next.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.tsv,.txt,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1_048_576:.1f} MB; the limit is {MAX_FILE_BYTES // 1_048_576} MB."
            )
        return upload


class UploadedForm(forms.Form):
    """What every step after the upload carries: the upload's token and the sheet read."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=100)
    sheet = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)


class SheetForm(UploadedForm):
    """Another sheet of the workbook; its columns are then guessed afresh."""

    def __init__(self, data: Any = None, *, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["sheet"] = forms.ChoiceField(
            label="Sheet", choices=[(name, name) for name in sheet.names], initial=sheet.name
        )


def _column(name: str) -> str:
    return f"column_{name}"


class MappingForm(UploadedForm):
    """For each field of a business risk, the sheet's column that holds it, or none."""

    def __init__(self, data: Any = None, *, sheet: Sheet, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        columns = [(str(index), sheet.column_label(index)) for index in range(len(sheet.headers))]
        for field in FIELDS:
            self.fields[_column(field.name)] = forms.ChoiceField(
                label=field.label,
                choices=[(NOT_IN_FILE, "Not in the file"), *columns],
                required=field.required,
                error_messages={"required": "Choose the column that holds each risk's title."},
            )

    @staticmethod
    def initial_of(token: str, sheet: Sheet, mapping: dict[str, int]) -> dict[str, str]:
        initial = {"token": token, "sheet": sheet.name}
        return initial | {_column(name): str(index) for name, index in mapping.items()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen: dict[str, str] = {}
        for field in FIELDS:
            column = cleaned.get(_column(field.name))
            if not column:
                continue
            if column in chosen:
                self.add_error(
                    _column(field.name),
                    f"This column already feeds “{chosen[column]}”: choose each column for one field.",
                )
            chosen.setdefault(column, field.label)
        return cleaned

    @property
    def mapping(self) -> dict[str, int]:
        """Field name -> the index of its column, for the fields given a column."""
        return {
            field.name: int(self.cleaned_data[_column(field.name)])
            for field in FIELDS
            if self.cleaned_data.get(_column(field.name))
        }

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[_column(field.name)] for field in FIELDS]


class CommitForm(MappingForm):
    """The import itself: the columns the preview used, and whether to leave out the rows it showed with errors
    (`skipped`, their numbers as the preview listed them)."""

    skip_errors = forms.BooleanField(required=False)
    skipped = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20_000)

    def clean_skipped(self) -> frozenset[int]:
        text = str(self.cleaned_data.get("skipped", ""))
        parts = [part for part in text.split(",") if part.strip()]
        if not all(part.strip().isascii() and part.strip().isdigit() for part in parts):
            raise forms.ValidationError("The rows to skip are row numbers.")
        return frozenset(int(part) for part in parts)

    @property
    def skip(self) -> frozenset[int] | None:
        """The rows the person chose to leave out, or None when they chose to leave out none."""
        return self.cleaned_data["skipped"] if self.cleaned_data.get("skip_errors") else None

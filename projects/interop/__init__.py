"""Moving models and registers in and out: other tools' formats, spreadsheets, organisation backups."""

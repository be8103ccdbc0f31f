"""Migration operations for what only PostgreSQL has (trigram search indexes).

The embedded default runs on SQLite, which has neither `pg_trgm` nor GIN: there these
operations change the migration state only, so models, migrations and `makemigrations --check`
agree on every database while the index exists where the search it serves runs at scale.
"""

from django.db.migrations import AddIndex, RunSQL


def _on_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


class AddIndexOnPostgres(AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class CreateExtensionOnPostgres(RunSQL):
    """`CREATE EXTENSION IF NOT EXISTS <name>` (pg_trgm is a trusted extension: the database's
    owner may create it without being a superuser); left in place when migrating back."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(sql=f'CREATE EXTENSION IF NOT EXISTS "{name}"', reverse_sql=RunSQL.noop)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.name], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if _on_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, from_state, to_state)

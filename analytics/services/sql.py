"""Set-based writes shared by the rollups."""

from django.db import connection
from django.db.models import QuerySet


def insert_select(model, columns: list[str], queryset: QuerySet) -> None:
    """`INSERT INTO model (columns) <queryset's SELECT>`; the queryset is a values_list in that order."""
    sql, params = queryset.query.sql_with_params()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) {sql}", params)

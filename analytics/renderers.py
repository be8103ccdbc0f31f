import csv
import io

from rest_framework.renderers import BaseRenderer

from core.csvsafe import csv_cell


class CSVRenderer(BaseRenderer):
    """Renders {"header": [...], "rows": [[...], ...]} (or an error body) as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if isinstance(data, dict) and "error" in data:
            writer.writerow(["code", "detail"])
            writer.writerow([csv_cell(data["error"].get("code")), csv_cell(data["error"].get("detail"))])
        elif isinstance(data, dict) and "header" in data:
            writer.writerow([csv_cell(h) for h in data["header"]])
            writer.writerows([csv_cell(v) for v in row] for row in data["rows"])
        return buffer.getvalue().encode(self.charset)

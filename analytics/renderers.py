import csv
import io

from rest_framework.renderers import BaseRenderer

# A cell starting with one of these is a formula to a spreadsheet: prefix it so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
            writer.writerow([_cell(data["error"].get("code")), _cell(data["error"].get("detail"))])
        elif isinstance(data, dict) and "header" in data:
            writer.writerow([_cell(h) for h in data["header"]])
            writer.writerows([_cell(v) for v in row] for row in data["rows"])
        return buffer.getvalue().encode(self.charset)

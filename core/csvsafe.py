"""Cells of the CSV files the shop hands out (the orders to ship, the dashboard's reports).

A spreadsheet runs a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula, and names, addresses and part names are typed by customers and shops: such a cell is
written with a leading `'` (OWASP's CSV injection advice). A number (`-3.5`, an E.164 phone
`+12025550143`) is left as it is: it is not a formula and a quote would make it text."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """`value` as a CSV cell no spreadsheet runs as a formula ("" for None)."""
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

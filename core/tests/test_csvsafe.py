"""One rule for every CSV the shop hands out: no cell a spreadsheet would run as a formula."""

import pytest

from core.csvsafe import csv_cell


@pytest.mark.parametrize(
    "value,cell",
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+12025550143", "+12025550143"),  # a phone in E.164 is a number, left as it is
        ("-3.50", "-3.50"),
        ("12 Elm Street", "12 Elm Street"),
        (None, ""),
        (7, "7"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_quoted_and_numbers_kept(value, cell):
    assert csv_cell(value) == cell

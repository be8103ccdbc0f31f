"""`manage.py import_catalog FILE [--format csv|json|gmc] [--dry-run] [--no-progress]`: a shop's
own catalogue (CSV, JSON or a Google Merchant Center feed; columns in the README, "Loading a
catalogue") through `catalog.services.import_files.catalog_file_import`.

Good rows are imported and bad ones reported (row, column, code, message) on stderr; a re-run
of the same file changes nothing. A problem with the whole file is an error and writes nothing.
Exit status: 0 when every row was imported, 1 on a whole-file error, 2 when some rows were
rejected (the others are imported).
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.exceptions import CatalogImportError
from catalog.services.import_files import FORMATS, catalog_file_format_guess, catalog_file_import

REJECTED_EXIT = 2


class Command(BaseCommand):
    help = "Import a catalogue file (CSV, JSON or Google Merchant Center feed): rows checked one by one, idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The catalogue file, or - for standard input (then --format is needed).")
        parser.add_argument("--format", choices=FORMATS, help="csv, json or gmc (default: from the file's extension).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything; write nothing.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (also off when not a TTY).")

    def handle(self, *args, file: str, format: str | None, dry_run: bool, no_progress: bool, **options):
        file_format = format or catalog_file_format_guess(file)
        if file_format is None:
            raise CommandError(f"Cannot tell the format of {file}: give --format ({', '.join(FORMATS)}).")
        if file == "-":
            data = sys.stdin.buffer.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"No such file: {file}")
            data = path.read_bytes()
        stream = self.stderr._out
        show = not no_progress and hasattr(stream, "isatty") and stream.isatty()
        started = time.monotonic()
        with tqdm(unit="row", desc="import_catalog", disable=not show, file=stream) as bar:
            try:
                result = catalog_file_import(
                    data=data, file_format=file_format, dry_run=dry_run, progress=lambda stage, n: bar.update(n)
                )
            except CatalogImportError as exc:
                raise CommandError(f"{exc.detail} [{exc.code}] Nothing was imported.") from exc
        seconds = time.monotonic() - started
        for error in result.rejected:
            where = f"{error.section} row {error.row}" if error.section != "parts" else f"row {error.row}"
            self.stderr.write(f"{where}: {error.field or '-'}: {error.code}: {error.message}")
        self.stdout.write(
            f"parts:            {result.parts}\n"
            f"appliance models: {result.models}\n"
            f"compatibility:    {result.compatibility}\n"
            f"symptoms:         {result.symptoms}\n"
            f"symptom links:    +{result.symptom_links_added} -{result.symptom_links_removed}\n"
            f"rejected rows:    {len(result.rejected)}\n"
            f"{'dry run: nothing was written' if dry_run else 'imported'} in {seconds:.1f}s"
            + ("" if dry_run else f"; search vectors follow for the {len(result.changed_parts)} parts changed")
        )
        if result.rejected:
            raise CommandError(
                f"{len(result.rejected)} row(s) rejected (listed above); the other rows were "
                f"{'checked' if dry_run else 'imported'}.",
                returncode=REJECTED_EXIT,
            )

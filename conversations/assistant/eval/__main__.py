"""`python -m conversations.assistant.eval [-v]`: a fresh SQLite database with the demo shop,
then the evaluation (run.py). Uses DATABASE_URL when it is set to something else."""

import os
import sys
import tempfile


def main() -> int:
    verbose = "-v" in sys.argv
    tmp = None
    if not os.environ.get("EVAL_DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="parley-eval-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/eval.sqlite3"
    else:
        os.environ["DATABASE_URL"] = os.environ["EVAL_DATABASE_URL"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.pop("OPENAI_API_KEY", None)  # the targets are the offline engine's
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from conversations.assistant.eval.run import report, run

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--if-empty", stdout=open(os.devnull, "w"))  # noqa: SIM115
    try:
        call_command("build_embeddings", "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    except Exception as exc:  # no embedder installed: search is lexical only
        print(f"(semantic search off: {exc})")
    result = run()
    print(report(result, verbose=verbose))
    m = result.metrics
    ok = m["intent_accuracy"] >= 0.95 and m["grounded_fact_accuracy"] == 1.0 and m["out_of_scope_actions_rendered"] == 0
    print("targets (intent >= 95%, grounded facts 100%, no action out of scope):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

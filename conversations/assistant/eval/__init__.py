"""The assistant's answer-scoring evaluation against the demo shop: `make eval`.

checks.py defines a good answer (what a reply must and must not contain); generate.py writes
the cases from demo_data/ (dev.jsonl, dialogues_dev.jsonl, and the held-out set in heldout/);
run.py plays them through the reply pipeline and scores them. See README.md in this folder.
"""

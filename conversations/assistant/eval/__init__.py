"""The assistant's evaluation against the demo shop: `make eval` (or `python -m conversations.assistant.eval`).

cases.jsonl: labelled customer messages, each with the turns before it (`history`), the
page's product context (`page`), the expected `intent` and `entities`, and whether it is
out of scope. search.jsonl: queries and what counts as relevant (a name fragment, brand,
appliance type, symptom or explicit PS numbers, resolved against the catalogue).
"""

"""The operator inbox (DESIGN "Who uses it"): its page and the selectors of its lists. Its REST API
is `conversations/operator_apis.py` (`/api/operator/…`), what it hears live comes through
`conversations.consumers.OperatorConsumer`, and decisions on requests are actions' APIs."""

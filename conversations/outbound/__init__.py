"""Conversations' outbound channels (web push, WhatsApp Cloud API, email), registered with
`core.outbound` from `ConversationsConfig.ready()`; every app sends through
`core.outbound.outbound_send`."""

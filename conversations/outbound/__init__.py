"""Outbound channels: how a message reaches a customer outside the request that caused it.

Other apps call exactly one function, `registry.outbound_send(message=...)`; each channel
(web push, WhatsApp Cloud API, email) sits behind it and is off unless configured.
"""

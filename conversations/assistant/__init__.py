"""The assistant: reads a customer message in its conversation and drafts a grounded reply."""

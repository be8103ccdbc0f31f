"""The demo shop: `manage.py seed_demo` loads demo_data/ through each app's own import service.

The top layer (it imports catalog, checkout and actions; nothing imports it), so `core` stays
free of domain imports. Each app owns its seed service (`catalog.services.imports`,
`checkout.services.price_book`, `actions.services.templates`); this app only orchestrates them.
"""

"""The demo shop: `manage.py seed_demo` loads demo_data/ through each app's own import service,
`create_demo_operator` makes a staff login, `generate_events` synthetic traffic and its orders.

The top layer (it imports catalog, analytics, checkout and actions; nothing imports it), so `core` stays
free of domain imports. Each app owns its seed service (`catalog.services.imports`,
`checkout.services.price_book`, `actions.services.templates`); this app only orchestrates them.
"""

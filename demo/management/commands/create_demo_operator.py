"""Create the demo operator account once, and print its password that one time only."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

USERNAME = "operator"


class Command(BaseCommand):
    help = "Create the staff superuser 'operator' with a random password, printed once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=USERNAME)
        parser.add_argument(
            "--admin-url",
            default="",
            help="Where the admin is served (default: PARLEY_PUBLIC_URL + /admin/).",
        )

    def handle(self, *args, username: str, admin_url: str, **options):
        admin_url = admin_url or settings.PARLEY_PUBLIC_URL.rstrip("/") + "/admin/"
        user_model = get_user_model()
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": True, "email": f"{username}@parley.local"},
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])

        if created:
            self.stdout.write(
                self.style.SUCCESS("Demo operator created (the password is shown this one time only):\n")
                + f"  admin:    {admin_url}\n"
                + f"  username: {username}\n"
                + f"  password: {password}"
            )
        else:
            self.stdout.write(
                f"Demo operator '{username}' already exists; sign in at {admin_url}\n"
                f"  forgot the password? python manage.py changepassword {username}"
            )

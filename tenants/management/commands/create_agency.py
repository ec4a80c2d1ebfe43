from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.selectors import agency_url
from tenants.services import agency_create


class Command(BaseCommand):
    help = "Create an agency with its own schema, host and first admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The agency's address: <slug>.<base domain>.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)
        parser.add_argument("--admin-name", default="")
        parser.add_argument("--country", default="AE")
        parser.add_argument("--currency", default="AED")
        parser.add_argument("--timezone", default="Asia/Dubai")
        parser.add_argument("--language", default="en", choices=["en", "ar"])

    def handle(self, *args, **options):
        try:
            agency = agency_create(
                slug=options["slug"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                admin_name=options["admin_name"],
                country=options["country"],
                currency=options["currency"],
                timezone=options["timezone"],
                default_language=options["language"],
            )
        except ValidationError as error:
            messages = []
            for field, errors in getattr(error, "message_dict", {"": error.messages}).items():
                label = field.replace("_", "-")
                messages.append(f"{label}: {' '.join(errors)}" if field else " ".join(errors))
            raise CommandError("; ".join(messages)) from None
        self.stdout.write(f"Created agency {agency.slug} at {agency_url(agency)}")

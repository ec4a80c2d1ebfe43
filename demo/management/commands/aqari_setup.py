from django.core.management.base import BaseCommand

from demo.services import demo_seed
from tenants.provisioning import migrate_everything


class Command(BaseCommand):
    help = "Migrate the public schema, the agency template and every agency; seed the demo."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not seed the demo agency.")

    def handle(self, *args, **options):
        migrate_everything(verbosity=max(0, options["verbosity"] - 1))
        if not options["no_demo"]:
            added = demo_seed()
            self.stdout.write("Demo agency seeded." if added else "Demo agency already there.")

from django.contrib import admin

from tenants.models import Agency, Domain
from tenants.selectors import agencies


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "status", "require_mfa", "created_at")
    list_filter = ("status", "country", "require_mfa")
    search_fields = ("name", "slug")
    readonly_fields = ("schema_name", "created_at")
    inlines = [DomainInline]

    def get_queryset(self, request):
        return agencies()

    def get_readonly_fields(self, request, obj=None):
        # The slug names the schema; renaming it would orphan the schema.
        return (*self.readonly_fields, "slug") if obj else self.readonly_fields

    def has_add_permission(self, request):
        # Agencies are created with their schema and first admin: `create_agency`.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")
    search_fields = ("domain",)

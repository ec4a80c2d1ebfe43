# The platform admin is for Aqari's own staff and is written in English (as its site header and
# the user admin's sections are), so its messages are not in the Arabic catalogue.
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from tenants.models import Agency, Domain, ProviderRoute, WebhookEvent
from tenants.routes import (
    provider_address_normalise,
    provider_route_delete,
    provider_route_find,
    provider_route_save,
    webhook_events_retry,
)
from tenants.selectors import agencies
from tenants.services import agency_update


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class ProviderRouteForm(forms.ModelForm):
    class Meta:
        model = ProviderRoute
        fields = ("kind", "address", "agency")

    def clean(self):
        cleaned = super().clean()
        kind, address = cleaned.get("kind"), cleaned.get("address")
        if not (kind and address):
            return cleaned
        try:
            cleaned["address"] = provider_address_normalise(kind=kind, address=address)
        except ValidationError as error:
            self.add_error("address", error)
            return cleaned
        # Checked here, not left to the unique constraint, to say which agency has it.
        clash = provider_route_find(kind=kind, address=cleaned["address"])
        if clash is not None and clash.pk != self.instance.pk:
            self.add_error(
                "address",
                ValidationError(
                    f"{cleaned['address']} is already routed to {clash.agency}. An address "
                    "belongs to one agency: change or delete that route first.",
                    code="route_taken",
                ),
            )
        return cleaned


class ProviderRouteInline(admin.TabularInline):
    model = ProviderRoute
    form = ProviderRouteForm
    fields = ("kind", "address", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "status", "require_mfa", "created_at")
    list_filter = ("status", "country", "require_mfa")
    search_fields = ("name", "slug")
    readonly_fields = ("schema_name", "created_at")
    inlines = [DomainInline, ProviderRouteInline]

    def get_queryset(self, request):
        return agencies()

    def save_model(self, request, obj, form, change):
        if not change:  # has_add_permission is False: agencies come from `create_agency`
            raise PermissionError("Agencies are created with `create_agency`.")
        agency_update(agency=obj, fields=form.changed_data, actor_id=request.user.pk)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProviderRoute:
            super().save_formset(request, form, formset, change)
            return
        routes = formset.save(commit=False)
        for route in formset.deleted_objects:
            provider_route_delete(route=route, actor_id=request.user.pk)
        for route in routes:
            _route_saved(self, request, route)
        formset.save_m2m()

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


@admin.register(ProviderRoute)
class ProviderRouteAdmin(admin.ModelAdmin):
    form = ProviderRouteForm
    list_display = ("kind", "address", "agency", "created_at")
    list_filter = ("kind",)
    list_select_related = ("agency",)
    search_fields = ("address", "agency__name")
    autocomplete_fields = ("agency",)
    readonly_fields = ("created_at",)
    ordering = ("kind", "address")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = agencies()  # not the platform's own row
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        _route_saved(self, request, obj)

    def delete_model(self, request, obj):
        provider_route_delete(route=obj, actor_id=request.user.pk)

    def delete_queryset(self, request, queryset):
        for route in queryset:
            provider_route_delete(route=route, actor_id=request.user.pk)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Deliveries as they were stored. The payload carries the lead's name and phone, so only
    superusers see it, on the detail page; the list never shows it."""

    list_display = (
        "provider",
        "external_id",
        "agency",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    )
    list_filter = ("provider", "status")
    list_select_related = ("agency",)
    search_fields = ("external_id",)
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    actions = ["retry_processing"]
    fields = (
        "provider",
        "external_id",
        "agency",
        "status",
        "attempts",
        "last_error",
        "result",
        "received_at",
        "processed_at",
    )

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return (*self.fields, "payload_json")
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="payload")
    def payload_json(self, obj: WebhookEvent) -> str:
        text = json.dumps(obj.payload, ensure_ascii=False, indent=2, sort_keys=True)
        return format_html('<pre dir="auto">{}</pre>', text)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        # The events themselves are read-only; queuing one again is the change staff may make.
        return request.user.has_perm("tenants.change_webhookevent")

    @admin.action(description="Retry processing", permissions=["retry"])
    def retry_processing(self, request, queryset):
        selected = {
            event.pk: event
            for event in queryset.select_related(None).only("provider", "external_id")
        }
        outcome = webhook_events_retry(event_ids=list(selected), actor_id=request.user.pk)
        for event_id in outcome.queued:
            self.log_change(request, selected[event_id], "Queued for processing again.")
        if outcome.queued:
            self.message_user(
                request,
                _plural(
                    len(outcome.queued),
                    "1 event was queued for processing again.",
                    "{count} events were queued for processing again.",
                ),
                messages.SUCCESS,
            )
        if outcome.already_processed:
            self.message_user(
                request,
                _plural(
                    len(outcome.already_processed),
                    "1 event was already processed and was left as it is.",
                    "{count} events were already processed and were left as they are.",
                ),
                messages.INFO,
            )
        if outcome.not_retryable:
            self.message_user(
                request,
                _plural(
                    len(outcome.not_retryable),
                    "1 event cannot be retried: no agency has its page yet (link the page "
                    "first), its agency closed, or nothing processes its provider yet.",
                    "{count} events cannot be retried: no agency has their page yet (link the "
                    "page first), their agency closed, or nothing processes their provider "
                    "yet.",
                ),
                messages.WARNING,
            )


def _route_saved(model_admin, request, route: ProviderRoute) -> None:
    """Saved through the service; a Meta page just linked has the lead-ad deliveries that came
    for it before processed now, in the agency it was linked to."""
    claimed = provider_route_save(route=route, actor_id=request.user.pk)
    if claimed:
        model_admin.message_user(
            request,
            _plural(
                len(claimed),
                "1 lead-ad delivery received for this page before it was linked was queued "
                "for processing.",
                "{count} lead-ad deliveries received for this page before it was linked were "
                "queued for processing.",
            ),
            messages.SUCCESS,
        )


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many.format(count=count)

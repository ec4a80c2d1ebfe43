from django.conf import settings
from django.core.checks import Error, register

FAKE_PROVIDER_SETTINGS = ("AQARI_EMAIL_PROVIDER", "AQARI_META_PROVIDER")


@register()
def fakes_only_in_debug(app_configs, **kwargs):
    """Production must never run on fake providers: nothing would really be sent."""
    if settings.DEBUG or getattr(settings, "DEV_TOOLS", False):
        return []
    return [
        Error(
            f"{name} is 'fake' while DEBUG is off.",
            hint="Configure the real provider's credentials (e.g. RESEND_API_KEY).",
            id="aqari.E001",
        )
        for name in FAKE_PROVIDER_SETTINGS
        if getattr(settings, name, "fake") == "fake"
    ]

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def remember_language_choice(sender, request, user, **kwargs):
    """A language picked before signing in becomes the person's choice."""
    chosen = request.COOKIES.get("aqari_language") if request is not None else None
    if chosen in ("en", "ar") and not user.language:
        user.language = chosen
        user.save(update_fields=["language"])

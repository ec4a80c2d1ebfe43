import pytest


@pytest.fixture
def outbox(outbox, settings):
    """The fake providers' outbox, with Django's mail going through the email provider.

    pytest-django swaps EMAIL_BACKEND for locmem in every test; these tests observe what the
    provider would have sent, as the dev outbox page shows it.
    """
    settings.EMAIL_BACKEND = "aqari.providers.email.ProviderEmailBackend"
    return outbox

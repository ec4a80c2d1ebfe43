"""Test data for accounts, built through the services so every row is one the app could make."""

from __future__ import annotations

import factory

from accounts import services
from accounts.models import Invitation, Membership, Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.Factory):
    """A person with an account (public schema). `password=None` makes one that cannot sign in."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@people.test")
    full_name = factory.Faker("name")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, **kwargs) -> User:
        return services.user_create(**kwargs)


class MembershipFactory(factory.Factory):
    """A member of the current agency (run inside its schema); an agent unless told."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.AGENT

    @classmethod
    def _create(cls, model_class, **kwargs) -> Membership:
        return services.membership_create(**kwargs)


class InvitationFactory(factory.Factory):
    """An open invitation in the current agency, sent by `actor` (an admin's membership)."""

    class Meta:
        model = Invitation

    actor = None
    email = factory.Sequence(lambda n: f"invitee{n}@people.test")
    role = Role.AGENT

    @classmethod
    def _create(cls, model_class, **kwargs) -> Invitation:
        return services.invitation_create(**kwargs)

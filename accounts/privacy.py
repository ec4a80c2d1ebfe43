from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import AttendanceCheckIn, Invitation, Membership, User
from core.privacy import Erase, Person, registry


def _users(person: Person):
    return User.objects.filter(email__in=person.emails) | User.objects.filter(
        pk__in=person.user_ids
    )


def _anonymise_user(user: User) -> None:
    user.email = f"erased-{user.pk}@erased.invalid"
    user.full_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


registry.register(
    User,
    categories=["identity", "contact", "account"],
    find=_users,
    export=lambda u: {
        "email": u.email,
        "full_name": u.full_name,
        "language": u.language,
        "joined": u.date_joined.isoformat(),
        "last_login": u.last_login.isoformat() if u.last_login else None,
    },
    erase=Erase.ANONYMISE,
    anonymise=_anonymise_user,
    retention="Kept while the person is a member of an agency; anonymised on erasure so "
    "records they worked on keep an author.",
)
registry.register(
    Membership,
    categories=["employment"],
    find=lambda p: Membership.objects.filter(user_id__in=_users(p).values("pk")),
    export=lambda m: {"role": m.role, "active": m.is_active, "since": m.created_at.isoformat()},
    erase=Erase.ANONYMISE,
    anonymise=lambda m: Membership.objects.filter(pk=m.pk).update(
        is_active=False, updated_at=timezone.now()
    ),
    retention="Deactivated, not deleted: leads and messages keep their assignee.",
)
registry.register(
    Invitation,
    categories=["contact"],
    find=lambda p: Invitation.objects.filter(email__in=p.emails),
    export=lambda i: {"email": i.email, "role": i.role, "sent": i.created_at.isoformat()},
    erase=Erase.DELETE,
)
registry.register(
    EmailAddress,
    categories=["contact"],
    find=lambda p: EmailAddress.objects.filter(user__in=_users(p)),
    export=lambda e: {"email": e.email, "verified": e.verified, "primary": e.primary},
    erase=Erase.DELETE,
)
registry.register(
    Authenticator,
    categories=["security"],
    find=lambda p: Authenticator.objects.filter(user__in=_users(p)),
    export=lambda a: {"type": a.type, "created": a.created_at.isoformat()},
    erase=Erase.DELETE,
)
registry.register(
    AttendanceCheckIn,
    categories=["employment"],
    find=lambda p: AttendanceCheckIn.objects.filter(membership__user_id__in=_users(p).values("pk")),
    export=lambda c: {
        "in": c.checked_in_at.isoformat(),
        "out": c.checked_out_at.isoformat() if c.checked_out_at else None,
    },
    erase=Erase.DELETE,
)

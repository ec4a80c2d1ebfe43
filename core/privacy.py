"""The personal-data registry (in core, so every layer may register with it).

Every model of ours declares whether it holds personal data. Those that do register how to
find a person's rows, how to export them and how to erase them (delete or anonymise), and why
any rows are kept. Data-subject requests and retention purges work only through this registry,
so `privacy` never imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Person:
    """What identifies a data subject. Domain apps match their rows on any of these."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    user_ids: frozenset[int] = frozenset()
    lead_ids: frozenset[int] = frozenset()


class Erase:
    DELETE = "delete"
    ANONYMISE = "anonymise"


@dataclass(frozen=True)
class PersonalDataEntry:
    model: type[models.Model]
    categories: tuple[str, ...]
    find: Callable[[Person], models.QuerySet]
    export: Callable[[models.Model], dict[str, Any]]
    erase: str
    anonymise: Callable[[models.Model], None] | None = None
    retention: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass(frozen=True)
class NoPersonalData:
    model: type[models.Model]
    reason: str


@dataclass
class Registry:
    entries: dict[str, PersonalDataEntry | NoPersonalData] = field(default_factory=dict)

    def register(
        self,
        model: type[models.Model],
        *,
        categories: Iterable[str],
        find: Callable[[Person], models.QuerySet],
        export: Callable[[models.Model], dict[str, Any]],
        erase: str,
        anonymise: Callable[[models.Model], None] | None = None,
        retention: str = "",
    ) -> None:
        if erase not in (Erase.DELETE, Erase.ANONYMISE):
            raise ValueError(f"{model._meta.label}: erase must be 'delete' or 'anonymise'.")
        if erase == Erase.ANONYMISE and anonymise is None:
            raise ValueError(f"{model._meta.label}: anonymise strategy needs a function.")
        self._add(
            PersonalDataEntry(
                model=model,
                categories=tuple(categories),
                find=find,
                export=export,
                erase=erase,
                anonymise=anonymise,
                retention=retention,
            )
        )

    def no_personal_data(self, model: type[models.Model], *, reason: str) -> None:
        self._add(NoPersonalData(model=model, reason=reason))

    def _add(self, entry: PersonalDataEntry | NoPersonalData) -> None:
        label = entry.model._meta.label
        if label in self.entries:
            raise ValueError(f"{label} is already classified in the privacy registry.")
        self.entries[label] = entry

    def get(self, model: type[models.Model]) -> PersonalDataEntry | NoPersonalData | None:
        return self.entries.get(model._meta.label)

    def personal_data_entries(self) -> list[PersonalDataEntry]:
        return [e for e in self.entries.values() if isinstance(e, PersonalDataEntry)]

    def unclassified(self, candidates: Iterable[type[models.Model]]) -> list[str]:
        return sorted(m._meta.label for m in candidates if m._meta.label not in self.entries)

    def export_person(self, person: Person) -> dict[str, list[dict[str, Any]]]:
        """Everything held about a person, grouped by model label."""
        report: dict[str, list[dict[str, Any]]] = {}
        for entry in self.personal_data_entries():
            rows = [entry.export(obj) for obj in entry.find(person)]
            if rows:
                report[entry.label] = rows
        return report

    def erase_person(self, person: Person) -> dict[str, int]:
        """Delete or anonymise a person's rows; returns counts by model label.

        The caller owns the transaction, so an erase is all or nothing.
        """
        # Find every row before changing any: once a user is anonymised, the rows that are
        # found through the user's email address can no longer be found.
        found = [(entry, list(entry.find(person))) for entry in self.personal_data_entries()]
        counts: dict[str, int] = {}
        for entry, objs in found:
            if not objs:
                continue
            for obj in objs:
                if entry.erase == Erase.DELETE:
                    obj.delete()
                else:
                    assert entry.anonymise is not None
                    entry.anonymise(obj)
            counts[entry.label] = len(objs)
        return counts


registry = Registry()

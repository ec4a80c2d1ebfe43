from core.privacy import Erase, Person, registry
from leads.fields import lead_privacy_export
from leads.models import (
    ApiKey,
    AssignmentRule,
    CaptureForm,
    FollowUp,
    ImportJob,
    Lead,
    LeadActivity,
    LeadAttachment,
    LeadNote,
    PipelineStage,
    SavedView,
)


def _leads(person: Person):
    query = Lead.objects.filter(pk__in=person.lead_ids)
    if person.phones:
        query = query | Lead.objects.filter(phones__overlap=list(person.phones))
    if person.emails:
        query = query | Lead.objects.filter(email__in=list(person.emails))
    return query.distinct()


registry.register(
    Lead,
    categories=["identity", "contact", "property interest", "source"],
    find=_leads,
    export=lead_privacy_export,
    erase=Erase.DELETE,
)
registry.register(
    LeadActivity,
    categories=["history", "communications"],
    find=lambda p: LeadActivity.objects.filter(lead__in=_leads(p)),
    export=lambda a: {"kind": a.kind, "at": a.created_at.isoformat(), "data": a.data},
    erase=Erase.DELETE,
)
registry.no_personal_data(PipelineStage, reason="The agency's own pipeline stage names.")


def _rows_of_leads(model):
    return lambda p: model.objects.filter(lead__in=_leads(p))


registry.register(
    LeadNote,
    categories=["notes"],
    find=_rows_of_leads(LeadNote),
    export=lambda n: {"note": n.body, "at": n.created_at.isoformat()},
    erase=Erase.DELETE,
)
registry.register(
    FollowUp,
    categories=["follow-up"],
    find=_rows_of_leads(FollowUp),
    export=lambda t: {
        "task": t.title,
        "due": t.due_at.isoformat() if t.due_at else None,
        "done": t.done_at.isoformat() if t.done_at else None,
    },
    erase=Erase.DELETE,
)


def _delete_attachment_file(attachment: LeadAttachment) -> None:
    attachment.file.delete(save=False)
    attachment.delete()


registry.register(
    LeadAttachment,
    categories=["documents"],
    find=_rows_of_leads(LeadAttachment),
    export=lambda a: {"file": a.original_name, "type": a.content_type, "size": a.size},
    erase=Erase.ANONYMISE,
    anonymise=_delete_attachment_file,
    retention="The stored file is deleted with the row.",
)
registry.no_personal_data(CaptureForm, reason="A website form's token and settings.")
registry.no_personal_data(
    ImportJob,
    reason="Import progress and counts. The uploaded file and rejected-rows file hold personal "
    "data only until the retention purge deletes them with the job.",
)
registry.no_personal_data(ApiKey, reason="A hashed key and its name.")
registry.no_personal_data(AssignmentRule, reason="Routing rules between staff members.")
registry.no_personal_data(SavedView, reason="A staff member's saved filters.")

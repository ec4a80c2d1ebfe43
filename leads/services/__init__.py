"""Writes for leads, one module per area (the same areas as the packages of views); import from
`leads.services`."""

from leads.inquiries import Inquiry, inquiry_clean
from leads.services.assignment import (
    assignment_options_set,
    assignment_rule_delete,
    assignment_rule_save,
    lead_assign,
    lead_auto_assign,
)
from leads.services.capture import (
    SubmissionInvalid,
    capture_form_allows_origin,
    capture_form_create,
    capture_form_revoke,
    capture_form_submit,
    capture_origin_normalise,
)
from leads.services.follow_ups import (
    follow_up_complete,
    follow_up_create,
    follow_up_reopen,
    follow_up_toggle,
    follow_ups_due_for_reminder,
)
from leads.services.imports import (
    import_job_create,
    import_job_resume,
    import_job_run,
    import_job_start,
)
from leads.services.intake import (
    CaptureResult,
    default_stage,
    identity_lock,
    lead_capture,
    lead_refresh_search,
)
from leads.services.lead_page import (
    FileKind,
    attachment_check,
    file_kind_sniff,
    lead_attachment_add,
    lead_merge,
    lead_note_add,
    lead_set_tags,
    tags_clean,
)
from leads.services.lists import (
    leads_bulk_assign,
    leads_bulk_change_stage,
    leads_bulk_tag,
    leads_export_csv,
    saved_view_create,
    saved_view_delete,
)
from leads.services.meta import (
    MetaOutcome,
    meta_event_process,
    meta_webhook_receive,
)
from leads.services.response import (
    ContactChannel,
    first_response_target_set,
    lead_record_contact,
)
from leads.services.stages import (
    lead_change_stage,
    stage_create,
    stage_delete,
    stage_move,
    stage_update,
)

__all__ = [
    "Inquiry",
    "inquiry_clean",
    "CaptureResult",
    "identity_lock",
    "default_stage",
    "lead_refresh_search",
    "lead_capture",
    "lead_note_add",
    "FileKind",
    "file_kind_sniff",
    "attachment_check",
    "lead_attachment_add",
    "tags_clean",
    "lead_set_tags",
    "lead_merge",
    "lead_change_stage",
    "stage_create",
    "stage_update",
    "stage_move",
    "stage_delete",
    "follow_up_create",
    "follow_up_complete",
    "follow_up_reopen",
    "follow_up_toggle",
    "follow_ups_due_for_reminder",
    "leads_bulk_assign",
    "leads_bulk_change_stage",
    "leads_bulk_tag",
    "leads_export_csv",
    "saved_view_create",
    "saved_view_delete",
    "lead_assign",
    "lead_auto_assign",
    "assignment_rule_save",
    "assignment_rule_delete",
    "assignment_options_set",
    "ContactChannel",
    "lead_record_contact",
    "first_response_target_set",
    "capture_origin_normalise",
    "capture_form_create",
    "capture_form_revoke",
    "capture_form_allows_origin",
    "SubmissionInvalid",
    "capture_form_submit",
    "meta_webhook_receive",
    "MetaOutcome",
    "meta_event_process",
    "import_job_create",
    "import_job_start",
    "import_job_resume",
    "import_job_run",
]

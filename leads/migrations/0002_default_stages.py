from django.db import migrations

DEFAULT_STAGES = [
    ("New", "جديد", "open"),
    ("Contacted", "تم التواصل", "open"),
    ("Qualified", "مؤهل", "open"),
    ("Viewing", "معاينة", "open"),
    ("Offer", "عرض", "open"),
    ("Won", "تمت الصفقة", "won"),
    ("Lost", "خسارة", "lost"),
]


def seed_stages(apps, schema_editor):
    PipelineStage = apps.get_model("leads", "PipelineStage")
    if PipelineStage.objects.exists():
        return
    PipelineStage.objects.bulk_create(
        PipelineStage(name=name, name_ar=name_ar, kind=kind, position=index)
        for index, (name, name_ar, kind) in enumerate(DEFAULT_STAGES)
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(seed_stages, migrations.RunPython.noop)]

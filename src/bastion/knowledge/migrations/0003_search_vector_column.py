"""PostgreSQL: keep the weighted tsvector in a stored generated column with a GIN index.

Ranking (``ts_rank``) over an expression index re-parses every matching document; a stored column is
read instead. SQLite keeps its FTS5 table and is unaffected.
"""

from django.db import migrations

# Spelled out here, not imported: a migration keeps the SQL it was written with.
PG_VECTOR_EXPRESSION = (
    "(setweight(to_tsvector('simple'::regconfig, coalesce(search_title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(search_body, '')), 'B'))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_search_gin")
    schema_editor.execute(
        "ALTER TABLE knowledge_article ADD COLUMN IF NOT EXISTS search_vector tsvector "
        f"GENERATED ALWAYS AS ({PG_VECTOR_EXPRESSION}) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS knowledge_article_search_vector_gin ON knowledge_article USING gin (search_vector)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_search_vector_gin")
    schema_editor.execute("ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search_index")]

    operations = [migrations.RunPython(forwards, backwards)]

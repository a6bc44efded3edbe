"""The full-text index of article search documents: FTS5 on SQLite, GIN over a tsvector on PostgreSQL."""

from django.db import migrations

# Spelled out here, not imported: a migration keeps the SQL it was written with.
FTS_TABLE = "knowledge_article_fts"
PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, knowledge_article.search_title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, knowledge_article.search_body), 'B'))"
)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body, tokenize='unicode61')"
        )
        schema_editor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, body) SELECT id, search_title, search_body FROM knowledge_article"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS knowledge_article_search_gin ON knowledge_article USING gin ({PG_VECTOR})"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS knowledge_article_search_gin")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]

"""Console navigation sections of the knowledge app."""

from django.utils.translation import gettext_lazy as _

from bastion.web.navigation import Section, register_section

register_section(
    Section(
        "knowledge",
        _("Knowledge base"),
        "knowledge:articles",
        "knowledge.view",
        70,
        frozenset(
            {
                "articles",
                "article_detail",
                "article_create",
                "article_edit",
                "cards",
                "card_detail",
                "card_create",
                "card_edit",
            }
        ),
    )
)

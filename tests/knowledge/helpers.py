"""Builders for knowledge tests: articles written and published through the real actions."""

from __future__ import annotations

from typing import Any

from bastion.knowledge.actions import do_create_article, do_publish_article
from bastion.knowledge.models import Article
from tests.factories import World


def published_article(world: World, **fields: Any) -> Article:
    """An article written by the on-site engineer and published by the support supervisor."""
    article = do_create_article(actor=world.users["onsite_engineer"], **fields)
    return do_publish_article(article_id=article.pk, actor=world.users["support_supervisor"])

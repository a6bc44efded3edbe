"""Permission codes of the knowledge app and the roles that hold them (R1.2).

Everyone reads the knowledge base. Field and remote engineers and their supervisors write articles
(they know the faults); publishing needs a reviewer other than the author, held by the support
supervisor, the smart-counter manager and the emergency leader (owner of the emergency manual).
Diagnosis cards drive the first minutes of a fault, so only supervisors and the emergency leader
change them. See docs/decisions/0402-knowledge-editing-roles.md.
"""

from django.utils.translation import gettext_lazy as _

from bastion.identity.permissions import EVERYONE, register_permissions

register_permissions(
    {
        "knowledge.view": _("Read the knowledge base"),
        "knowledge.edit_articles": _("Write and edit knowledge articles"),
        "knowledge.publish_articles": _("Review, publish and withdraw knowledge articles"),
        "knowledge.manage_cards": _("Write and change diagnosis cards"),
    },
    grants={
        "support_supervisor": [
            "knowledge.edit_articles",
            "knowledge.publish_articles",
            "knowledge.manage_cards",
        ],
        "onsite_engineer": ["knowledge.edit_articles"],
        "remote_engineer": ["knowledge.edit_articles"],
        "smart_counter_manager": ["knowledge.edit_articles", "knowledge.publish_articles"],
        "emergency_leader": [
            "knowledge.edit_articles",
            "knowledge.publish_articles",
            "knowledge.manage_cards",
        ],
    },
)
register_permissions({}, grants={role: ["knowledge.view"] for role in EVERYONE})

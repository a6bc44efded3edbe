"""Console URLs of the knowledge app (namespace ``knowledge``, under /knowledge/)."""

from django.urls import path

from bastion.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.articles, name="articles"),
    path("new/", views.article_create, name="article_create"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/edit/", views.article_edit, name="article_edit"),
    path("<int:pk>/publish/", views.article_publish, name="article_publish"),
    path("<int:pk>/archive/", views.article_archive, name="article_archive"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
    path("cards/", views.cards, name="cards"),
    path("cards/new/", views.card_create, name="card_create"),
    path("cards/<int:pk>/", views.card_detail, name="card_detail"),
    path("cards/<int:pk>/edit/", views.card_edit, name="card_edit"),
]

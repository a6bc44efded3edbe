"""Console URLs of the risk app; each area (decisions, rules, lists, holds...) adds its pages here."""

from django.urls import URLPattern, path

from bastion.risk.views import control, decisions, indicators, lists, reference, rules

app_name = "risk"

urlpatterns: list[URLPattern] = [
    path("decisions/", decisions.decision_list, name="decision_list"),
    path("decisions/levels.svg", decisions.level_chart, name="decision_level_chart"),
    path("decisions/<str:payment_id>/", decisions.decision_detail, name="decision_detail"),
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/check/", rules.rule_check, name="rule_check"),
    path("rules/<int:number>/", rules.rule_detail, name="rule_detail"),
    path("rules/<int:number>/save/", rules.rule_save, name="rule_save"),
    path("rules/<int:number>/submit/", rules.rule_submit, name="rule_submit"),
    path("rules/<int:number>/approve/", rules.rule_approve, name="rule_approve"),
    path("rules/<int:number>/reject/", rules.rule_reject, name="rule_reject"),
    path("rules/<int:number>/activate/", rules.rule_activate, name="rule_activate"),
    path("rules/<int:number>/backtests/", rules.backtest_start, name="backtest_start"),
    path("rules/backtests/<int:backtest_id>/", rules.backtest_detail, name="backtest_detail"),
    path(
        "rules/backtests/<int:backtest_id>/levels.svg",
        rules.backtest_levels_chart,
        name="backtest_levels_chart",
    ),
    path(
        "rules/backtests/<int:backtest_id>/rules.svg", rules.backtest_rules_chart, name="backtest_rules_chart"
    ),
    path("lists/", lists.list_index, name="list_index"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<slug:name>/", lists.list_detail, name="list_detail"),
    path("lists/<slug:name>/entries/", lists.entry_add, name="list_entry_add"),
    path("lists/<slug:name>/entries/<int:entry_id>/remove/", lists.entry_remove, name="list_entry_remove"),
    path("controls/", control.control_list, name="control_list"),
    path("controls/new/", control.control_create, name="control_create"),
    path("controls/<int:control_id>/active/", control.control_toggle, name="control_toggle"),
    path("reviews/", control.review_list, name="review_list"),
    path("reviews/<int:review_id>/", control.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/propose/", control.review_propose, name="review_propose"),
    path("reviews/<int:review_id>/confirm/", control.review_confirm, name="review_confirm"),
    path("reviews/<int:review_id>/return/", control.review_return, name="review_return"),
    path("reviews/<int:review_id>/authorise/", control.review_authorise, name="review_authorise"),
    path("indicators/", indicators.indicator_page, name="indicators"),
    path("indicators/charts/<str:code>.svg", indicators.indicator_chart, name="indicator_chart"),
    path("indicators/levels.svg", indicators.indicator_levels_chart, name="indicator_levels_chart"),
    path("indicators/warnings/", indicators.warning_list, name="indicator_warnings"),
    path(
        "indicators/warnings/<int:warning_id>/acknowledge/",
        indicators.warning_acknowledge,
        name="indicator_warning_acknowledge",
    ),
    path("indicators/thresholds/", indicators.threshold_list, name="indicator_thresholds"),
    path("indicators/thresholds/new/", indicators.threshold_create, name="indicator_threshold_create"),
    path(
        "indicators/thresholds/<int:threshold_id>/",
        indicators.threshold_edit,
        name="indicator_threshold_edit",
    ),
    path("channels/", reference.channel_list, name="channel_list"),
    path("channels/assess/", reference.channel_assess, name="channel_assess"),
    path("channels/<str:channel>/", reference.channel_detail, name="channel_detail"),
    path("counterparties/", reference.counterparty_list, name="counterparty_list"),
    path("counterparties/save/", reference.counterparty_save, name="counterparty_save"),
]

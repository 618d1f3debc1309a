from django.urls import path

from risks import api, api_register

ORGANISATION = "organisations/<slug:org_slug>/"
RISK = ORGANISATION + "risks/<int:risk_number>/"

urlpatterns = [
    path("risk-calculator/", api.RiskCalculatorApi.as_view(), name="api_risk_calculator"),
    path(ORGANISATION + "risks/", api_register.RiskListApi.as_view(), name="api_risk_list"),
    path(RISK, api_register.RiskDetailApi.as_view(), name="api_risk_detail"),
    path(RISK + "scenarios/", api_register.ScenarioListApi.as_view(), name="api_scenario_list"),
    path(
        RISK + "scenarios/<int:scenario_id>/",
        api_register.ScenarioDetailApi.as_view(),
        name="api_scenario_detail",
    ),
    path(RISK + "acceptances/", api_register.AcceptanceListApi.as_view(), name="api_acceptance_list"),
    path(
        RISK + "acceptances/<int:acceptance_id>/decision/",
        api_register.AcceptanceDecisionApi.as_view(),
        name="api_acceptance_decision",
    ),
    path(
        RISK + "acceptances/<int:acceptance_id>/withdrawal/",
        api_register.AcceptanceWithdrawalApi.as_view(),
        name="api_acceptance_withdrawal",
    ),
    path(ORGANISATION + "scoring/", api_register.ScoringApi.as_view(), name="api_scoring"),
    path(ORGANISATION + "portfolio/", api_register.PortfolioApi.as_view(), name="api_portfolio"),
]

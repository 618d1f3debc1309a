from django.urls import path

from risks import api

urlpatterns = [
    path("risk-calculator/", api.RiskCalculatorApi.as_view(), name="api_risk_calculator"),
]

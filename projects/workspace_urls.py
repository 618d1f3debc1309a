"""The pages of a project, under /o/<org_slug>/projects/."""

from django.urls import path

from projects import live_views, model_views, threat_views

P = "<int:project_id>/"

urlpatterns = [
    path("", model_views.project_list, name="project_list"),
    path("new/", model_views.project_create, name="project_create"),
    path(P, model_views.project_detail, name="project_detail"),
    path(P + "edit/", model_views.project_edit, name="project_edit"),
    path(P + "delete/", model_views.project_delete, name="project_delete"),
    path(P + "diagram.svg", model_views.project_diagram, name="project_diagram"),
    path(P + "history/", model_views.project_history, name="project_history"),
    path(P + "zones/new/", model_views.zone_create, name="zone_create"),
    path(P + "zones/<int:zone_id>/", model_views.zone_detail, name="zone_detail"),
    path(P + "zones/<int:zone_id>/delete/", model_views.zone_delete, name="zone_delete"),
    path(P + "assets/new/", model_views.asset_create, name="asset_create"),
    path(P + "assets/<int:asset_id>/", model_views.asset_detail, name="asset_detail"),
    path(P + "assets/<int:asset_id>/delete/", model_views.asset_delete, name="asset_delete"),
    path(P + "components/new/", model_views.component_create, name="component_create"),
    path(P + "components/<int:component_id>/", model_views.component_detail, name="component_detail"),
    path(P + "components/<int:component_id>/delete/", model_views.component_delete, name="component_delete"),
    path(P + "flows/new/", model_views.flow_create, name="flow_create"),
    path(P + "flows/<int:flow_id>/", model_views.flow_detail, name="flow_detail"),
    path(P + "flows/<int:flow_id>/delete/", model_views.flow_delete, name="flow_delete"),
    path(P + "threats/", threat_views.threat_list, name="threat_list"),
    path(P + "threats/new/", threat_views.threat_create, name="threat_create"),
    path(P + "threats/preview/", threat_views.threat_preview, name="threat_preview"),
    path(P + "threats/suggestions/", threat_views.threat_suggestions, name="threat_suggestions"),
    path(P + "threats/bulk/", threat_views.threat_bulk, name="threat_bulk"),
    path(P + "threats/<int:threat_number>/", threat_views.threat_detail, name="threat_detail"),
    path(P + "threats/<int:threat_number>/inline/", threat_views.threat_inline, name="threat_inline"),
    path(P + "threats/<int:threat_number>/delete/", threat_views.threat_delete, name="threat_delete"),
    path(
        P + "threats/<int:threat_number>/controls/",
        threat_views.threat_link_control,
        name="threat_link_control",
    ),
    path(
        P + "components/<int:component_id>/library/", threat_views.library_component, name="library_component"
    ),
    path(P + "flows/<int:flow_id>/library/", threat_views.library_flow, name="library_flow"),
    path(P + "controls/", threat_views.control_list, name="control_list"),
    path(P + "controls/new/", threat_views.control_create, name="control_create"),
    path(P + "controls/bulk/", threat_views.control_bulk, name="control_bulk"),
    path(P + "controls/<int:control_id>/", threat_views.control_detail, name="control_detail"),
    path(P + "controls/<int:control_id>/delete/", threat_views.control_delete, name="control_delete"),
    path(P + "links/<int:link_id>/", threat_views.link_update, name="link_update"),
    path(P + "links/<int:link_id>/delete/", threat_views.link_delete, name="link_delete"),
    path(P + "live/", live_views.live_model, name="live_model"),
    path(P + "threats/live/", live_views.live_threats, name="live_threats"),
    path(P + "threats/<int:threat_number>/live/", live_views.live_threat, name="live_threat"),
]

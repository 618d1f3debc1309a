"""The loss exceedance chart now lives with the other charts in reports.charts; kept here for older imports."""

from reports.charts import Chart, Curve, Marker, PointRow, loss_exceedance_chart

__all__ = ["Chart", "Curve", "Marker", "PointRow", "loss_exceedance_chart"]

"""prepbot's pictures, drawn with Pillow: the practice calendar and the bar charts.

Plain functions from plain data to PNG bytes, shared by the features that attach pictures.
"""

from bot.pictures.calendar import calendar_png
from bot.pictures.charts import scorecard_chart, topic_bars, week_chart

__all__ = ["calendar_png", "scorecard_chart", "topic_bars", "week_chart"]

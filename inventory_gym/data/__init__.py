"""Real demand data: panels of sales series read from files, and the causal backtest.

- :mod:`inventory_gym.data.panel`: :func:`read_panel` (wide or long sales files, in-stock,
  master and calendar files; pandas, the ``data`` extra), :class:`Panel`, censoring
  (:func:`impute`, :meth:`Panel.masked`);
- :mod:`inventory_gym.data.backtest`: replaying real periods through a problem's kernel, with
  decisions that see only the past.
"""

from inventory_gym.data.panel import IMPUTE_LOOKBACK, Panel, PanelError, impute, read_panel

__all__ = ["IMPUTE_LOOKBACK", "Panel", "PanelError", "impute", "read_panel"]

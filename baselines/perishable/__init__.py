"""Baselines of Perishable-v0: heuristics (:mod:`.heuristics`) and the exact DP (:mod:`.dp`)."""

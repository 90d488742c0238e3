"""Lost-sales baselines: heuristics (:mod:`.heuristics`), exact DP (:mod:`.dp`) and the exact
projections of the stock they share (:mod:`.projection`)."""

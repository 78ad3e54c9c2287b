"""The TCN service: chart-pattern detection (16 pattern types) with a temporal convolutional
network trained on planted synthetic patterns and rule-labelled real bars."""

// The corpus tests (robustness, scoreboard agreement, snapshot).

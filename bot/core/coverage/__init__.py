"""Monthly coverage (走访覆盖率): a person's progress, the town's and each village's coverage,
and who is still uncontacted (the reminders)."""

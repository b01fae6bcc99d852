"""Running a scenario: stack + load + faults -> records -> SLO verdict -> outputs."""

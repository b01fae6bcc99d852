"""Stacks that run the agent under test and its dependencies."""

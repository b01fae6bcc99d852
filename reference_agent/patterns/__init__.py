"""The book's production patterns, one small module each, testable without sleeping.

Each pattern takes its clock and random source as arguments so unit tests drive time by hand.
"""

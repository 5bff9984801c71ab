"""Erlang C (M/M/N): the probability that a visitor waits, the share called within a target time, and the
fewest counters that reach a service level. Written once here (no maintained library on the index fits
without pulling numpy/pandas into the service); checked against published tables in tests/unit.

``traffic`` is the offered load in Erlangs: arrivals per minute × mean service minutes.
"""

import math


def erlang_c(traffic, agents):
    """P(wait > 0) with ``agents`` servers and ``traffic`` Erlangs; 1.0 when the queue cannot keep up."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    # Erlang B by its stable recurrence, then C from B: no factorials, no overflow at hundreds of agents.
    b = 1.0
    for k in range(1, agents + 1):
        b = traffic * b / (k + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(traffic, agents, service_minutes, target_minutes):
    """Share of visitors called within ``target_minutes``."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    waits = erlang_c(traffic, agents)
    return 1.0 - waits * math.exp(-(agents - traffic) * target_minutes / service_minutes)


def mean_wait(traffic, agents, service_minutes):
    """Average speed of answer: the mean wait in minutes over all visitors."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * service_minutes / (agents - traffic)


def counters_needed(arrivals_per_minute, service_minutes, target_minutes, level, limit=500):
    """The fewest counters whose service level reaches ``level`` (0 when nobody comes)."""
    traffic = arrivals_per_minute * service_minutes
    if traffic <= 0:
        return 0
    agents = max(1, math.floor(traffic) + 1)
    while agents < limit and service_level(traffic, agents, service_minutes, target_minutes) < level:
        agents += 1
    return agents
